"""Which recorded token ids another model can take as they are, and the bytes behind them.

A saved answer, a score's continuation and a branch's forced prefix are token ids of the model
that made them. Another model reads the same ids as the same text only if its tokenizer maps
each of them to the same bytes (a base model and its fine-tune); otherwise they are other tokens,
or no token at all, and re-run and re-score must tokenise the recorded bytes again. Which it is
is asked of the model itself, through the Backend protocol: teacher-forcing ids returns each
one's bytes.

A branch's forced bytes are journaled with the turn (`Turn.forced_pieces`). For a turn without
them (journals written before the field) they are rebuilt from its parent chain in the session:
the parent's whole answer (its own forced prefix, then its steps) up to the fork, and the chosen
alternative's bytes from the distribution at the fork.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from engine.backend import Backend
from engine.types import Message, ScoreRequest, SystemPrompt, TokenStep

from .journal import Session
from .model import Turn


class TurnIndex:
    """A session's turns by id; only the turns asked for are decoded."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._at: dict[str, int] = {}

    def get(self, turn_id: str | None) -> Turn | None:
        if not turn_id:
            return None
        if turn_id not in self._at and len(self._at) != len(self._session.turns):
            self._at = {str(self._session.entry_meta(i).get("id")): i
                        for i in range(len(self._session.turns))}
        index = self._at.get(turn_id)
        return None if index is None else self._session.turns[index]


def continue_from(turn: Turn) -> tuple[int, ...]:
    return getattr(turn.request, "continue_from", ())


@dataclass(frozen=True)
class _Position:
    id: int
    piece: bytes | None
    step: TokenStep | None  # the distribution at this position, where the session holds it


def forced_pieces(turn: Turn, index: TurnIndex) -> tuple[bytes, ...] | None:
    """The bytes of each token `turn` forced (`request.continue_from`); None if unknown."""
    forced = continue_from(turn)
    if not forced:
        return ()
    if len(turn.forced_pieces) == len(forced):
        return turn.forced_pieces
    return derive_forced_pieces(forced, index.get(turn.parent), turn.provenance.model_sha256,
                                index, frozenset({turn.id}))


def derive_forced_pieces(forced: Sequence[int], parent: Turn | None, model_sha256: str,
                         index: TurnIndex, seen: frozenset[str] = frozenset()
                         ) -> tuple[bytes, ...] | None:
    """The bytes of `forced`, a fork of `parent`'s answer, from what the session recorded.

    Only a parent made by the same model file can say (the bytes of an id are its tokenizer's).
    """
    if not _usable(parent, model_sha256, seen):
        return None
    return _fork_pieces(forced, _answer(parent, index, seen | {parent.id}))


def _usable(parent: Turn | None, model_sha256: str, seen: frozenset[str]) -> TypeGuard[Turn]:
    return parent is not None and parent.id not in seen \
        and parent.provenance.model_sha256 == model_sha256


def _fork_pieces(forced: Sequence[int], before: list[_Position]) -> tuple[bytes, ...] | None:
    """The parent's bytes where `forced` follows its answer; the offered alternative's at the
    fork."""
    if len(forced) > len(before):
        return None
    pieces = []
    for token, at in zip(forced, before, strict=False):
        if at.id == token:
            piece = at.piece
        else:
            alt = next((a for a in at.step.top if a.id == token), None) if at.step else None
            piece = alt.piece if alt is not None else None
        if piece is None:
            return None
        pieces.append(piece)
    return tuple(pieces)


def _answer(turn: Turn, index: TurnIndex, seen: frozenset[str]) -> list[_Position]:
    """Every token of `turn`'s answer, its forced prefix first."""
    forced = continue_from(turn)
    positions: list[_Position] = []
    if forced:
        parent = index.get(turn.parent)
        usable = _usable(parent, turn.provenance.model_sha256, seen)
        # Up to the fork the context is the parent's, and so is the distribution.
        before = _answer(parent, index, seen | {parent.id}) if usable and parent else []
        pieces = turn.forced_pieces if len(turn.forced_pieces) == len(forced) else \
            _fork_pieces(forced, before) if usable else None
        for j, token in enumerate(forced):
            step = before[j].step if j < len(before) else None
            positions.append(_Position(token, pieces[j] if pieces else None, step))
    positions += [_Position(s.id, s.piece, s) for s in turn.steps]
    return positions


def in_vocabulary(backend: Backend, ids: Sequence[int]) -> bool:
    info = backend.info
    return info is not None and all(0 <= token < info.n_vocab for token in ids)


def read_pieces(backend: Backend, ids: Sequence[int], messages: tuple[Message, ...],
                system: SystemPrompt, raw_prompt: str | None = None) -> tuple[bytes, ...] | None:
    """The bytes the backend's model reads `ids` as (the pieces of teacher-forcing them after the
    turn's own prompt, which also warms the cache for the request that follows); None if an id
    is outside its vocabulary."""
    if not ids:
        return ()
    if not in_vocabulary(backend, ids):
        return None
    result = backend.score(ScoreRequest(messages, "", system=system, top_k_probs=0,
                                        raw_prompt=raw_prompt, continuation_ids=tuple(ids)))
    return tuple(step.piece for step in result.steps)


def complete_length(data: bytes) -> int | None:
    """How many bytes of `data` are whole UTF-8 characters (an unfinished last one excluded);
    None if `data` is not UTF-8 at all."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None
    return len(data) - len(decoder.getstate()[0])
