"""The typed interface of a comparison: what is asked, what each position gives, what it ends with.

Frozen dataclasses of engine types only, so they pickle across the worker's pipe and journal
like the rest of the engine's results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..types import Configuration, GenerationResult, Message, SamplingSettings, TokenStep

MAX_LANES = 4


@dataclass(frozen=True)
class CompareLane:
    """One side of a comparison: a named configuration and how its answer is drawn."""

    name: str
    configuration: Configuration = Configuration()
    sampling: SamplingSettings = SamplingSettings(temperature=0.0)


@dataclass(frozen=True)
class CompareRequest:
    """One conversation under 2-4 lanes.

    Sampled (the default): each lane draws its own answer, in lockstep. Teacher-forced: every lane
    is scored on the same tokens: `forced_ids` as given, or (`forced_from` = a lane's name) that
    lane's own answer, generated first.
    """

    messages: tuple[Message, ...]
    lanes: tuple[CompareLane, ...]
    max_tokens: int = 128
    top_k_probs: int = 10
    forced_ids: tuple[int, ...] = ()
    forced_from: str = ""

    @property
    def forced(self) -> bool:
        return bool(self.forced_ids) or bool(self.forced_from)


@dataclass(frozen=True)
class PairDivergence:
    """Two lanes' next-token distributions at one position (nats, over the whole vocabulary)."""

    a: int  # lane index
    b: int
    kl_ab: float  # KL(P_a || P_b)
    kl_ba: float  # KL(P_b || P_a)
    js: float  # Jensen-Shannon divergence, in [0, ln 2]
    differ: bool  # the lanes chose different tokens here
    logprob_a_of_b: float  # log P_a(the token lane b chose)
    logprob_b_of_a: float  # log P_b(the token lane a chose)


@dataclass(frozen=True)
class CompareStep:
    """One position: each lane's step (None once that lane has ended) and each live pair's divergence."""

    position: int
    steps: tuple[TokenStep | None, ...]
    pairs: tuple[PairDivergence, ...]


@dataclass(frozen=True)
class RowsStep:
    """A worker's CompareStep with its lanes' logits rows (None for a lane that has ended).

    Only between a worker and its parent, when a comparison spans models (engine/compare/
    across_models.py): the parent measures the pairs of lanes on different workers from these
    rows, with the same arithmetic the worker uses for its own pairs.
    """

    step: CompareStep
    rows: tuple[Any, ...]  # numpy float32 arrays of n_vocab logits, or None


@dataclass(frozen=True)
class PairSummary:
    """A pair of lanes over the positions both reached."""

    a: int
    b: int
    positions: int  # positions both lanes have a step at
    mean_kl_ab: float
    mean_kl_ba: float
    mean_js: float
    differing: int  # positions where the chosen tokens differ
    first_difference: int | None  # the first such position
    mean_prob_a_of_b: float  # mean P_a(b's token): how plausible b's answer is to a
    mean_prob_b_of_a: float


@dataclass(frozen=True)
class CompareResult:
    """Each lane's answer (as a generation result, with its provenance) and the pairs' summaries."""

    lanes: tuple[GenerationResult, ...]
    names: tuple[str, ...]
    pairs: tuple[PairSummary, ...]
    forced: bool
