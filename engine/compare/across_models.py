"""A comparison whose lanes run on more than one model: a worker per model, merged position by position.

Why a merge in the caller rather than one worker loading two models: each worker owns one
llama.cpp model and context (its memory, its crash), and a second model is exactly a second
worker's memory, which the user is told about. Every worker decodes its own lanes in lockstep
(engine/compare/lockstep.py, so a lane's numbers are those it would have alone) and sends each
position's logits rows with its steps; here the positions are zipped back into the request's
lane order and every pair is measured from the rows with the worker's own arithmetic
(divergence.position_pairs), so the pairs of two lanes on one worker read the same either way.

Divergence is over one vocabulary: models whose tokenizers differ (compared from their GGUF
headers, engine/gguf.py's vocabulary_digest) are refused before anything loads. A teacher-forced
comparison on one lane's answer generates that answer first on the lane's own worker, as the
one-worker loop does, then scores every lane on its tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import RequestError
from ..gguf import vocabulary_digest
from ..types import GenerationResult, TokenStep
from .divergence import position_pairs, summarise_pairs
from .types import CompareRequest, CompareResult, CompareStep, RowsStep

if TYPE_CHECKING:
    from ..local import LocalBackend


@dataclass(frozen=True)
class LaneGroup:
    """The lanes (indices into the request's lanes) one worker runs."""

    backend: LocalBackend
    lanes: tuple[int, ...]


def check_one_vocabulary(paths: Sequence[str]) -> None:
    """RequestError unless every model file numbers its tokens alike (the same tokenizer)."""
    digests: dict[str, str] = {}
    for path in paths:
        try:
            digests[path] = vocabulary_digest(path)
        except (OSError, ValueError) as exc:
            raise RequestError(f"Cannot read the vocabulary of {path}: {exc}") from None
    first = paths[0]
    for path in paths[1:]:
        if digests[path] != digests[first]:
            raise RequestError(
                f"{path} and {first} have different vocabularies (tokenizers): a comparison measures "
                "KL and JS between distributions over one vocabulary, and teacher-forces one token "
                "sequence, so its models must share a tokenizer (quantisations or fine-tunes of one "
                "base model do).", title="Models that cannot be compared")


class CrossModelComparison:
    """CompareSteps of a comparison spread over several workers, then its CompareResult; iterate once.

    `steps` holds the positions merged so far (also after an error); `result` is set on success.
    """

    def __init__(self, request: CompareRequest, groups: Sequence[LaneGroup],
                 start: Callable[[], None]) -> None:
        self._request = request
        self._groups = tuple(groups)
        self._start = start  # loads the workers (off the caller's thread: it iterates us there)
        self.steps: list[CompareStep] = []
        self.result: CompareResult | None = None

    def __iter__(self) -> Iterator[CompareStep]:
        self._start()
        request = self._request
        if request.forced_from:
            request = replace(request, forced_ids=self._leader_answer(request), forced_from="")
        streams = [group.backend.compare_rows(replace(request, lanes=tuple(request.lanes[i] for i in group.lanes)))
                   for group in self._groups]
        iterators: list[Generator[Any, None, None] | None] = [stream.rows() for stream in streams]
        try:
            position = 0
            while True:
                parts = [self._next(iterators, g) for g in range(len(iterators))]
                if all(part is None for part in parts):
                    break
                merged = self._merge(position, parts)
                self.steps.append(merged)
                yield merged
                position += 1
        finally:
            for iterator in iterators:
                if iterator is not None:
                    iterator.close()  # a running one cancels and drains its worker
        results = [stream.result for stream in streams]
        assert all(result is not None for result in results)
        self.result = self._combine(results)

    @staticmethod
    def _next(iterators: list[Generator[Any, None, None] | None], g: int) -> RowsStep | None:
        iterator = iterators[g]
        if iterator is None:
            return None
        item = next(iterator, None)
        if item is None:
            iterators[g] = None
        return item

    def _merge(self, position: int, parts: Sequence[RowsStep | None]) -> CompareStep:
        n = len(self._request.lanes)
        steps: list[TokenStep | None] = [None] * n
        rows: list[Any] = [None] * n
        for group, part in zip(self._groups, parts, strict=True):
            if part is None:
                continue
            if part.step.position != position:
                raise RequestError(f"A worker sent position {part.step.position} where {position} was due.")
            for own, lane in enumerate(group.lanes):
                steps[lane], rows[lane] = part.step.steps[own], part.rows[own]
        tokens = [None if step is None else step.id for step in steps]
        return CompareStep(position, tuple(steps), position_pairs(rows, tokens))

    def _leader_answer(self, request: CompareRequest) -> tuple[int, ...]:
        """The forced_from lane's own answer, generated alone on its worker."""
        index = next((i for i, lane in enumerate(request.lanes) if lane.name == request.forced_from), None)
        if index is None:
            names = ", ".join(lane.name for lane in request.lanes)
            raise RequestError(f"--forced names {request.forced_from!r}, which is none of the configurations "
                               f"({names}).")
        group = next(g for g in self._groups if index in g.lanes)
        alone = replace(request, lanes=(request.lanes[index],), forced_from="", forced_ids=())
        stream = group.backend.compare_rows(alone)
        for _ in stream.rows():
            pass
        assert stream.result is not None
        ids = tuple(step.id for step in stream.result.lanes[0].steps)
        if not ids:
            raise RequestError(f"{request.forced_from!r} gave an empty answer: there are no tokens to score the "
                               "others on.")
        return ids

    def _combine(self, results: Sequence[CompareResult | None]) -> CompareResult:
        lanes: list[GenerationResult | None] = [None] * len(self._request.lanes)
        forced = False
        for group, result in zip(self._groups, results, strict=True):
            assert result is not None
            forced = forced or result.forced
            for own, lane in enumerate(group.lanes):
                lanes[lane] = result.lanes[own]
        assert all(lane is not None for lane in lanes)
        return CompareResult(
            lanes=tuple(lane for lane in lanes if lane is not None),
            names=tuple(lane.name for lane in self._request.lanes),
            pairs=summarise_pairs(len(lanes), self.steps), forced=forced)


__all__ = ["CrossModelComparison", "LaneGroup", "check_one_vocabulary"]
