"""The sampler's view: what llama.cpp's sampler chain left of the raw distribution, for a step.

engine/distribution.py summarises the model's raw distribution; the token is then drawn by the
chain (repeat penalty, top-k, top-p, min-p, temperature, then dist, or greedy) from the same
logits. The backend applies the chain's samplers one at a time to the candidate array, exactly as
llama.cpp's chain does (same samplers, same order, same array, so the same draw), and hands the
array it finds after each stage to a `ChainTrace`. This module turns that trace into the step's
`post` and `sampler` fields. It re-implements no sampler: the kept tokens are the ones the
samplers left, and their probabilities the ones llama.cpp's dist sampler wrote into the array.
Pure numpy, so it is tested on hand-made arrays as well as through the real chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .types import SampledToken, SamplerView

GREEDY = "greedy"  # llama.cpp's name for the greedy sampler (temperature 0)


def short_float(value: float) -> float:
    """`value` at float32 precision, as the shortest decimal that gives that float32 back
    (0.573, not 0.5730000138282776): what llama.cpp computed, and a short journal entry."""
    return float(str(np.float32(value)))


class ChainTrace:
    """The candidate arrays of one draw, reduced to what a step keeps of them."""

    def __init__(self, n_candidates: int) -> None:
        self._size = n_candidates
        self.cuts: list[tuple[str, np.ndarray]] = []  # (stage, the ids it left) per stage that removed any
        self.greedy = False
        self.chosen = -1
        self.kept_ids = np.empty(0, dtype=np.intc)
        self.kept_probs = np.empty(0, dtype=np.float32)

    def after(self, stage: str, ids: np.ndarray) -> None:
        """The array after `stage`: `ids` are the candidates it left (a view into the array,
        copied only when the stage removed some)."""
        if stage == GREEDY:
            self.greedy = True
        if len(ids) < self._size:
            self.cuts.append((stage, ids.copy()))
        self._size = len(ids)

    def finish(self, ids: np.ndarray, probs: np.ndarray, chosen: int) -> None:
        """The array the chain left and the token it drew. Greedy writes no probabilities (it
        picks the best logit): its one kept token has probability 1."""
        self.chosen = chosen
        if self.greedy:
            self.kept_ids = np.array([chosen], dtype=np.intc)
            self.kept_probs = np.ones(1, dtype=np.float32)
        else:
            self.kept_ids = ids.copy()
            self.kept_probs = probs.copy()

    def removed_by(self, tokens: Sequence[int]) -> list[str | None]:
        """For each token, the stage that removed it, None when the chain kept it."""
        wanted = np.asarray(tokens, dtype=np.intc)
        stages: list[str | None] = [None] * len(wanted)
        alive = np.ones(len(wanted), dtype=bool)
        for stage, ids in self.cuts:
            gone = alive & ~np.isin(wanted, ids)
            for n in np.flatnonzero(gone):
                stages[n] = stage
            alive &= ~gone
        if self.greedy:
            for n in np.flatnonzero(alive & (wanted != self.chosen)):
                stages[n] = GREEDY
        return stages


def sampler_fields(trace: ChainTrace, logits: np.ndarray, log_normaliser: float,
                   top_ids: Sequence[int], k: int, text: Callable[[int], str]
                   ) -> tuple[tuple[SampledToken, ...], SamplerView]:
    """A step's `post` (the kept tokens, most likely first, at most `k`) and `sampler`.

    `logits` is the raw row the chain started from and `log_normaliser` its log-sum-exp (for the
    kept tokens' raw mass); `top_ids` are the step's raw top tokens, whose removals are named.
    """
    order = np.argsort(-trace.kept_probs, kind="stable")[:max(0, k)]
    post = tuple(SampledToken(int(trace.kept_ids[j]), text(int(trace.kept_ids[j])),
                              short_float(float(trace.kept_probs[j])))
                 for j in order)
    raw = logits[trace.kept_ids].astype(np.float64) - log_normaliser
    view = SamplerView(
        greedy=trace.greedy,
        kept=len(trace.kept_ids),
        kept_raw_mass=short_float(min(1.0, float(np.exp(raw).sum()))),
        removed=tuple((int(t), stage) for t, stage in zip(top_ids, trace.removed_by(top_ids), strict=True)
                      if stage is not None),
    )
    return post, view
