"""Comparisons on a remote engine: the lanes one after another, the pairs over their top-k.

A server computes one request at a time per slot and reports only each position's top-k, so a
remote comparison is not a lockstep over logits rows (engine/compare/lockstep.py): each lane is
its own request with its own adapters (a generation, or forced scoring on the same tokens), and
the pairs are measured afterwards over the union of the two lanes' reported tokens plus one rest
bucket. Each side's tokens the other did not report get an equal share of that side's rest, so
KL and JS are approximations (the steps say `top-k+rest`, docs/remote.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import zip_longest
from typing import TYPE_CHECKING

import numpy as np

from ..compare import CompareRequest, CompareResult, CompareStep
from ..compare.divergence import js, kl, summarise_pairs
from ..compare.lockstep import check_request
from ..compare.types import PairDivergence
from ..errors import RequestError
from ..types import GenerationRequest, GenerationResult, ScoreRequest, SystemPrompt, TokenStep

if TYPE_CHECKING:
    from .backend import RemoteBackend


def _known(step: TokenStep) -> dict[int, float]:
    known = {alt.id: alt.logprob for alt in step.top}
    known[step.id] = step.logprob
    return known


def _vector(known: dict[int, float], union: list[int], n_vocab: int) -> np.ndarray:
    """Log-probabilities over `union` then the bucket of every other token, for one lane."""
    rest = max(1e-12, 1.0 - math.fsum(math.exp(lp) for lp in known.values()))
    unknown = max(1, n_vocab - len(known))
    share = rest / unknown
    probs = [math.exp(known[t]) if t in known else share for t in union]
    probs.append(share * max(0, n_vocab - len(union)))
    return np.log(np.maximum(np.array(probs, dtype=np.float64), 1e-300))


def approximate_pair(a: int, b: int, step_a: TokenStep, step_b: TokenStep, n_vocab: int) -> PairDivergence:
    known_a, known_b = _known(step_a), _known(step_b)
    union = sorted(set(known_a) | set(known_b))
    log_a, log_b = _vector(known_a, union, n_vocab), _vector(known_b, union, n_vocab)
    at = {t: i for i, t in enumerate(union)}
    return PairDivergence(a=a, b=b, kl_ab=kl(log_a, log_b), kl_ba=kl(log_b, log_a), js=js(log_a, log_b),
                          differ=step_a.id != step_b.id, logprob_a_of_b=float(log_a[at[step_b.id]]),
                          logprob_b_of_a=float(log_b[at[step_a.id]]))


class RemoteComparison:
    """Iterate for the CompareSteps (after every lane has answered); `result` at the end."""

    def __init__(self, backend: RemoteBackend, request: CompareRequest) -> None:
        check_request(request, len(request.lanes))
        self._backend = backend
        self._request = request
        self.steps: list[CompareStep] = []
        self.result: CompareResult | None = None

    def __iter__(self) -> Iterator[CompareStep]:
        return self._run()

    def _run(self) -> Iterator[CompareStep]:
        request, backend = self._request, self._backend
        forced = list(request.forced_ids)
        results: dict[int, GenerationResult] = {}
        if request.forced_from:
            leader = next(i for i, lane in enumerate(request.lanes) if lane.name == request.forced_from)
            results[leader] = self._generate(leader)
            forced = [s.id for s in results[leader].steps]
            if not forced:
                raise RequestError(f"{request.forced_from!r} gave an empty answer: there are no tokens "
                                   f"to score the others on.")
        lanes = [self._score(i, forced) if forced else results.get(i) or self._generate(i)
                 for i in range(len(request.lanes))]
        n_vocab = backend.facts.n_vocab
        for position, steps in enumerate(zip_longest(*(lane.steps for lane in lanes))):
            pairs = tuple(approximate_pair(a, b, steps[a], steps[b], n_vocab)
                          for a in range(len(steps)) for b in range(a + 1, len(steps))
                          if steps[a] is not None and steps[b] is not None)
            compared = CompareStep(position, tuple(steps), pairs)
            self.steps.append(compared)
            yield compared
        self.result = CompareResult(lanes=tuple(lanes), names=tuple(lane.name for lane in request.lanes),
                                    pairs=summarise_pairs(len(lanes), self.steps), forced=bool(forced))

    def _generate(self, i: int) -> GenerationResult:
        lane, request = self._request.lanes[i], self._request
        stream = self._backend.generate(GenerationRequest(
            request.messages, SystemPrompt(), lane.sampling, request.max_tokens, request.top_k_probs,
            configuration=lane.configuration))
        for _ in stream:
            pass
        assert stream.result is not None
        return stream.result

    def _score(self, i: int, forced: list[int]) -> GenerationResult:
        lane, request = self._request.lanes[i], self._request
        scored = self._backend.score(ScoreRequest(request.messages, "", top_k_probs=request.top_k_probs,
                                                  continuation_ids=tuple(forced),
                                                  configuration=lane.configuration))
        text = "".join(s.text for s in scored.steps)
        return GenerationResult(steps=scored.steps, text=text, finish_reason="forced",
                                provenance=scored.provenance, tokens_per_s=0.0,
                                prompt_eval_s=0.0, generate_s=0.0)
