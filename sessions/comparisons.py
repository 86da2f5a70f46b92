"""A comparison journaled in a session: one prompt under 2-4 configurations, kept as one linked group.

Why its own record type: a comparison (`logitscope compare`, the TUI's compare screen) is not a
turn with one request and one answer but several lanes decoded in lockstep, with each pair's
divergence at every position (engine/compare/). Its session line holds the whole of it: the
CompareRequest, every CompareStep (each lane's token step and each pair's KL both ways, JS and
cross-probabilities) and the CompareResult (each lane's answer and provenance, the pairs'
summaries), so it replays and exports from the session alone, without a model. A comparison an
engine error ended keeps what it decided, as a failed turn does (`failed_comparison`).

The line has the turn lines' layout (sessions/format.py): a head, then `"crc32"` and last the
bulk, here `"steps"` (the positions), parsed only when the comparison is first looked at. A
lane's token steps are written once, in the positions; `result.lanes[i].steps` are rebuilt
from them on reading (`new_comparison` makes a record whose result says the same). A reader that
predates the record skips the line as an unknown record type and loses nothing else.
docs/session-format.md ("Comparison") documents it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from engine.compare import CompareRequest, CompareResult, CompareStep, PairSummary
from engine.compare.divergence import summarise_pairs
from engine.types import GenerationRequest, GenerationResult, ModelInfo, TokenStep

from .codec import decode, encode
from .format import check_line, checked_line
from .lazy_records import DescribedRecords
from .model import AdapterRecord
from .partial import FAILED, failed_generation

RECORD_TYPE = "comparison"
_PREFIX = b'{"type":"comparison"'
_STEPS_KEY = b',"steps":'


@dataclass(frozen=True)
class ComparisonRecord:
    """A comparison that ended: finished, stopped (its lanes' finish reason is "cancelled"), or
    failed (an engine error ended it: the lanes it cut off say "error", `note` is the error).

    `steps` are the positions as the engine streamed them; `result.lanes[i].steps` are lane i's
    steps of those positions. `adapters` are each lane's adapters with their files' SHA-256
    ("" for a file that was gone), as a turn records them.
    """

    id: str
    created: str  # ISO 8601, UTC, when the comparison ended
    request: CompareRequest
    steps: tuple[CompareStep, ...]
    result: CompareResult
    adapters: tuple[tuple[AdapterRecord, ...], ...] = ()
    note: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return self.result.names

    @property
    def stopped(self) -> bool:
        """Stopped by the user before every lane ended."""
        return any(lane.finish_reason == "cancelled" for lane in self.result.lanes)

    @property
    def failed(self) -> bool:
        """Ended by an engine error (what was decided before it is kept)."""
        return any(lane.finish_reason == FAILED for lane in self.result.lanes)

    def lane_steps(self, lane: int) -> tuple[TokenStep, ...]:
        return lane_steps(self.steps, lane)

    def pair(self, a: int, b: int) -> PairSummary | None:
        """The summary of lanes a and b (in either order), None if there is no such pair."""
        a, b = min(a, b), max(a, b)
        return next((p for p in self.result.pairs if (p.a, p.b) == (a, b)), None)

    def describe(self) -> str:
        """One line: "compare base, pirate: 12 positions; first difference at 3"."""
        return describe(self.names, len(self.steps), self.request.forced_from, bool(self.request.forced_ids),
                        self.result.pairs, self.stopped, self.failed)


def lane_steps(steps: Sequence[CompareStep], lane: int) -> tuple[TokenStep, ...]:
    """Lane `lane`'s token steps, in position order (a lane that ended early has fewer)."""
    return tuple(s.steps[lane] for s in steps if lane < len(s.steps) and s.steps[lane] is not None)  # type: ignore[misc]


def new_comparison(request: CompareRequest, steps: Sequence[CompareStep], result: CompareResult, *,
                   note: str = "") -> ComparisonRecord:
    """A comparison that just ended, with a new id and the time now; each lane's adapters
    hashed. The result's lanes get their steps from `steps` (what the engine gives already)."""
    from .journal import new_turn_id, utc_now  # the journal imports this module
    from .record import adapter_records

    steps = tuple(steps)
    lanes = tuple(replace(lane, steps=lane_steps(steps, i)) for i, lane in enumerate(result.lanes))
    return ComparisonRecord(
        id=new_turn_id(), created=utc_now(), request=request, steps=steps,
        result=replace(result, lanes=lanes),
        adapters=tuple(adapter_records(lane.provenance.adapters) for lane in result.lanes), note=note)


def failed_comparison(request: CompareRequest, steps: Sequence[CompareStep], model: ModelInfo) -> CompareResult:
    """A comparison an error ended, as a result to journal: each lane's steps of the positions
    decided before it (`steps`), its provenance rebuilt as a failed turn's is
    (sessions/partial.py) from `model` (the loaded model) and the lane's configuration: a lane on
    another model gets that model's path and an empty (unknown) SHA-256. A lane still decoding
    at the last position says "error"; one that had ended before says "stop" when its last step
    is the end-of-turn token (empty text, as the engine writes it), else "context"; a lane with
    no step at all says "error"."""
    steps = tuple(steps)
    lanes = []
    for index, lane in enumerate(request.lanes):
        own = lane_steps(steps, index)
        configuration = lane.configuration
        asked = GenerationRequest(request.messages, configuration.system, lane.sampling, request.max_tokens,
                                  request.top_k_probs, configuration=configuration)
        lane_model = model
        if configuration.model_path and not _same_file(configuration.model_path, model.path):
            lane_model = replace(model, path=configuration.model_path, sha256="")
        result = failed_generation(asked, own, lane_model, configuration.adapters)
        live = bool(steps) and index < len(steps[-1].steps) and steps[-1].steps[index] is not None
        if own and not live:
            result = replace(result, finish_reason="stop" if own[-1].text == "" else "context")
        lanes.append(result)
    return CompareResult(tuple(lanes), tuple(lane.name for lane in request.lanes),
                         summarise_pairs(len(request.lanes), steps), request.forced)


def _same_file(a: str, b: str) -> bool:
    return os.path.realpath(os.path.expanduser(a)) == os.path.realpath(os.path.expanduser(b))


def _first_differences(pairs: Sequence[PairSummary], names: Sequence[str]) -> str:
    firsts = [(p.first_difference, p) for p in pairs if p.first_difference is not None]
    if not pairs:
        return ""
    if not firsts:
        return "; the chosen tokens never differ"
    position, pair = min(firsts, key=lambda item: item[0])
    who = f" ({names[pair.a]}/{names[pair.b]})" if len(pairs) > 1 else ""
    return f"; first difference at {position}{who}"


def describe(names: Sequence[str], positions: int, forced_from: str, forced_ids: bool,
             pairs: Sequence[PairSummary], stopped: bool, failed: bool = False) -> str:
    forced = (f"; forced on {forced_from}'s answer" if forced_from
              else "; forced on a given text" if forced_ids else "")
    return (f"compare {', '.join(names)}: {positions} position{'s' if positions != 1 else ''}{forced}"
            f"{_first_differences(pairs, names)}{'; stopped' if stopped else ''}{'; failed' if failed else ''}")


def _lane_head(lane: GenerationResult) -> dict[str, Any]:
    return {f.name: encode(getattr(lane, f.name)) for f in dataclasses.fields(lane) if f.name != "steps"}


def comparison_line(record: ComparisonRecord) -> bytes:
    """One complete line (newline included) for `record`."""
    result = record.result
    meta = {
        "type": RECORD_TYPE,
        "id": record.id,
        "created": record.created,
        "note": record.note,
        "names": list(result.names),
        "n_positions": len(record.steps),
        "request": encode(record.request),
        "adapters": encode(record.adapters),
        "result": {"names": list(result.names), "forced": result.forced, "pairs": encode(result.pairs),
                   "lanes": [_lane_head(lane) for lane in result.lanes]},
    }
    return checked_line(meta, "steps", encode(record.steps))


@dataclass
class ComparisonEntry:
    """A comparison line that passed its checks; its positions are parsed only when first asked for."""

    line: int
    meta: dict[str, Any]
    steps_raw: bytes | memoryview

    def describe(self) -> str:
        """The comparison's one-line description, from its head alone."""
        meta = self.meta
        request, result = meta["request"], meta["result"]
        pairs = decode(tuple[PairSummary, ...], result["pairs"])
        stopped = any(lane.get("finish_reason") == "cancelled" for lane in result["lanes"])
        failed = any(lane.get("finish_reason") == FAILED for lane in result["lanes"])
        return describe(tuple(meta["names"]), int(meta.get("n_positions", 0)), str(request.get("forced_from", "")),
                        bool(request.get("forced_ids")), pairs, stopped, failed)

    def decode(self) -> ComparisonRecord:
        meta = self.meta
        steps = decode(tuple[CompareStep, ...], json.loads(bytes(self.steps_raw)))
        head = meta["result"]
        lanes = tuple(decode(GenerationResult, {**lane, "steps": []}) for lane in head["lanes"])
        if len(lanes) != len(head["names"]) or any(len(s.steps) != len(lanes) for s in steps):
            raise ValueError("a comparison's lanes, names and positions do not match")
        lanes = tuple(replace(lane, steps=lane_steps(steps, i)) for i, lane in enumerate(lanes))
        result = CompareResult(lanes=lanes, names=tuple(decode(tuple[str, ...], head["names"])),
                               pairs=decode(tuple[PairSummary, ...], head["pairs"]), forced=bool(head["forced"]))
        return ComparisonRecord(
            id=str(meta["id"]), created=str(meta.get("created", "")), request=decode(CompareRequest, meta["request"]),
            steps=steps, result=result,
            adapters=decode(tuple[tuple[AdapterRecord, ...], ...], meta.get("adapters", [])),
            note=str(meta.get("note") or ""))


def is_comparison_line(buf: bytes, start: int = 0, end: int | None = None) -> bool:
    return buf.startswith(_PREFIX, start, len(buf) if end is None else end)


def parse_comparison(buf: bytes, number: int, start: int = 0, end: int | None = None) -> ComparisonEntry:
    """Check the comparison line `buf[start:end]` (CRC over the whole line, head parsed and its
    request decoded); raise ValueError if it is damaged."""
    end = len(buf) if end is None else end
    meta, steps_raw = check_line(buf, start, end, _STEPS_KEY, "comparison")
    if any(k not in meta for k in ("id", "names", "request", "result")):
        raise ValueError("comparison record lacks its id, names, request or result")
    result = meta["result"]
    if not isinstance(result, dict) or any(k not in result for k in ("names", "pairs", "lanes", "forced")):
        raise ValueError("comparison record's result lacks its names, pairs, lanes or forced")
    decode(CompareRequest, meta["request"])  # a head that passed the CRC but does not decode
    return ComparisonEntry(number, meta, steps_raw)


class ComparisonList(DescribedRecords[ComparisonEntry, ComparisonRecord]):
    """A session's comparisons in file order; each is decoded from its line on first access."""


__all__ = [
    "RECORD_TYPE", "ComparisonEntry", "ComparisonList", "ComparisonRecord", "comparison_line", "describe",
    "failed_comparison", "is_comparison_line", "lane_steps", "new_comparison", "parse_comparison",
]
