"""Turning an engine request and its result into a journaled turn, in one call.

The TUI, `logitscope ask/choose/score --session` and re-runs all record the same way: the engine's
result already carries the provenance; this adds the adapters' file hashes (which the engine does
not compute per request) and the branch the turn grew from, with the bytes of the tokens the
branch forced (so it can be forced again under another tokenizer), then appends durably.
"""

from __future__ import annotations

import os

from engine.fingerprint import file_sha256
from engine.types import (
    AdapterSpec,
    ChoiceRequest,
    ChoiceResult,
    GenerationRequest,
    GenerationResult,
    ScoreRequest,
    ScoreResult,
)

from .journal import Session, new_turn_id, utc_now
from .model import AdapterRecord, Request, Result, Turn, TurnKind, TurnOrigin
from .tokens import TurnIndex, derive_forced_pieces

_KINDS: dict[type, TurnKind] = {
    GenerationResult: TurnKind.GENERATION,
    ChoiceResult: TurnKind.CHOICE,
    ScoreResult: TurnKind.SCORE,
}
_REQUESTS: dict[TurnKind, type] = {
    TurnKind.GENERATION: GenerationRequest,
    TurnKind.CHOICE: ChoiceRequest,
    TurnKind.SCORE: ScoreRequest,
}


def adapter_records(adapters: tuple[AdapterSpec, ...]) -> tuple[AdapterRecord, ...]:
    """Hash each adapter file (cached by size and mtime); a missing file gets an empty hash."""
    records = []
    for spec in adapters:
        try:
            digest = file_sha256(spec.path) if os.path.isfile(spec.path) else ""
        except OSError:
            digest = ""
        records.append(AdapterRecord(spec.path, digest, spec.scale))
    return tuple(records)


def make_turn(request: Request, result: Result, *, parent: str | None = None,
              branch_position: int | None = None, origin: TurnOrigin | None = None,
              note: str = "", forced_pieces: tuple[bytes, ...] = ()) -> Turn:
    kind = _KINDS.get(type(result))
    if kind is None or not isinstance(request, _REQUESTS[kind]):
        raise TypeError(f"{type(request).__name__} and {type(result).__name__} do not make a turn")
    forced = getattr(request, "continue_from", ())
    return Turn(
        id=new_turn_id(), kind=kind, created=utc_now(), request=request, result=result,
        adapters=adapter_records(result.provenance.adapters), parent=parent,
        branch_position=branch_position, origin=origin, note=note,
        forced_pieces=tuple(forced_pieces) if len(forced_pieces) == len(forced) else (),
    )


def record_turn(session: Session, request: Request, result: Result, *, parent: str | None = None,
                branch_position: int | None = None, origin: TurnOrigin | None = None,
                note: str = "", forced_pieces: tuple[bytes, ...] | None = None) -> Turn:
    """Journal one completed request (generation, choice or score); on disk when this returns.

    A branch's `forced_pieces` (the bytes of each `continue_from` token) are worked out from its
    parent turn in the session when the caller does not pass them.
    """
    forced = getattr(request, "continue_from", ())
    if forced and forced_pieces is None:
        index = TurnIndex(session)
        forced_pieces = derive_forced_pieces(forced, index.get(parent),
                                             result.provenance.model_sha256, index)
    turn = make_turn(request, result, parent=parent, branch_position=branch_position,
                     origin=origin, note=note, forced_pieces=forced_pieces or ())
    return session.append_turn(turn)


def record_generation(session: Session, request: GenerationRequest, result: GenerationResult, *,
                      parent: str | None = None, branch_position: int | None = None,
                      forced_pieces: tuple[bytes, ...] | None = None, note: str = "") -> Turn:
    """A chat generation; for a branch, `parent` is the forked turn's id and `branch_position`
    the token position in its answer (the request's `continue_from` holds the forced tokens,
    `forced_pieces` their bytes if the caller has them). A generation an error ended is a
    `sessions.partial.failed_generation` result, with the error as its `note`."""
    return record_turn(session, request, result, parent=parent, branch_position=branch_position,
                       forced_pieces=forced_pieces, note=note)


def record_choice(session: Session, request: ChoiceRequest, result: ChoiceResult) -> Turn:
    return record_turn(session, request, result)


def record_score(session: Session, request: ScoreRequest, result: ScoreResult) -> Turn:
    return record_turn(session, request, result)


def record_to(name: str, request: Request, result: Result, *,
              data_dir: str | os.PathLike[str] | None = None, note: str = "") -> tuple[Session, Turn]:
    """For `ask/choose/score --session NAME`: append to the session NAME (name, id or path),
    creating it if new. Returns the session and the journaled turn (`note`: the error that ended
    a failed generation)."""
    from .store import SessionStore

    session = SessionStore(data_dir).open_or_create(name)
    return session, record_turn(session, request, result, note=note)
