"""A session's branches as a tree of plain data: `session export --format tree` (JSON).

The journal is flat: a branch is a generation turn naming its `parent` and the `branch_position`
in the parent's answer where it forced another token (docs/session-format.md). People and
programs exploring where alternatives lead want it nested, so this module regroups the generation
turns: each conversation turn (a root generation) with its answers (the root and its
regenerations, which name a parent but no position) and, under each answer, the branches forking
from it, each saying where it forks, which token it forced there and how likely the parent's
distribution made that token. Choice and score turns have no branches and are left out.

Positions count the whole answer, forced prefix included, like the TUI's token cursor; a turn's
`tokens` are the ones it generated itself (after its forced prefix). A branch's `mean_logprob` is
over its forced token (when its probability is known) and the tokens it generated, so siblings
compare on what they said after the fork; the tree HTML export (sessions/tree_html.py) renders
this same data.
"""

from __future__ import annotations

import json
import math
from typing import Any

from engine.types import GenerationRequest, GenerationResult, TokenStep

from .journal import Session
from .model import Turn

FORMAT = "logitscope-tree"
VERSION = 1


def _token(step: TokenStep) -> dict[str, Any]:
    return {"i": step.i, "id": step.id, "text": step.text, "logprob": step.logprob,
            "prob": math.exp(step.logprob)}


class _Builder:
    """Regroups one session's generation turns; `full` is each turn's whole answer's distributions."""

    def __init__(self, session: Session) -> None:
        self.turns = [t for t in session.turns
                      if isinstance(t.result, GenerationResult) and isinstance(t.request, GenerationRequest)]
        self.by_id = {t.id: t for t in self.turns}
        self.children: dict[str, list[Turn]] = {}
        self.others: dict[str, list[Turn]] = {}  # regenerations: a parent, no position
        self.roots: list[Turn] = []
        for turn in self.turns:
            if turn.parent in self.by_id and turn.branch_position is not None:
                self.children.setdefault(turn.parent, []).append(turn)
            elif turn.parent in self.by_id:
                self.others.setdefault(self._root_of(turn.parent), []).append(turn)
            else:
                self.roots.append(turn)
        self._full: dict[str, list[TokenStep | None]] = {}

    def _root_of(self, turn_id: str) -> str:
        turn = self.by_id[turn_id]
        seen = {turn_id}
        while turn.parent in self.by_id and turn.parent not in seen:
            seen.add(turn.parent)
            turn = self.by_id[turn.parent]
        return turn.id

    def full(self, turn: Turn) -> list[TokenStep | None]:
        """The distribution at every position of the turn's whole answer (None where unknown):
        the parent's up to and at the fork (a forced token has the distribution it replaced a
        token of), then the turn's own steps."""
        if turn.id in self._full:
            return self._full[turn.id]
        self._full[turn.id] = []  # a cycle in a damaged journal ends here
        prefix: list[TokenStep | None] = []
        forced = len(getattr(turn.request, "continue_from", ()))
        if turn.parent in self.by_id and turn.branch_position is not None:
            prefix = self.full(self.by_id[turn.parent])[:turn.branch_position + 1]
        prefix = (prefix + [None] * forced)[:forced]
        steps = prefix + list(turn.steps)
        self._full[turn.id] = steps
        return steps

    def fork(self, turn: Turn) -> dict[str, Any] | None:
        """Where `turn` forks its parent: position, the forced token, and its probability there."""
        position = turn.branch_position
        if position is None or turn.parent not in self.by_id:
            return None
        continue_from = getattr(turn.request, "continue_from", ())
        token = continue_from[position] if position < len(continue_from) else None
        text = None
        if position < len(turn.forced_pieces):
            text = turn.forced_pieces[position].decode("utf-8", "backslashreplace")
        parent_steps = self.full(self.by_id[turn.parent])
        original = parent_steps[position] if position < len(parent_steps) else None
        logprob = None
        if original is not None and token is not None:
            alt = next((a for a in original.top if a.id == token), None)
            if alt is not None:
                logprob, text = alt.logprob, text if text is not None else alt.text
        return {"position": position, "id": token, "text": text,
                "replaced": original.text if original is not None else None,
                "logprob": logprob, "prob": math.exp(logprob) if logprob is not None else None}

    def node(self, turn: Turn, depth: int = 0) -> dict[str, Any]:
        assert isinstance(turn.result, GenerationResult)
        fork = self.fork(turn)
        logprobs = [s.logprob for s in turn.steps]
        if fork is not None and fork["logprob"] is not None:
            logprobs.insert(0, fork["logprob"])
        children = [] if depth > 1000 else [self.node(c, depth + 1) for c in self.children.get(turn.id, [])]
        return {
            "id": turn.id,
            "created": turn.created,
            "fork": fork,
            "text": turn.result.text,
            "finish_reason": turn.result.finish_reason,
            "mean_logprob": sum(logprobs) / len(logprobs) if logprobs else None,
            "tokens": [_token(s) for s in turn.steps],
            "branches": children,
        }


def session_tree(session: Session) -> dict[str, Any]:
    """The session's conversation turns, each with its answers and their branches nested."""
    builder = _Builder(session)
    h = session.header
    return {
        "format": FORMAT,
        "version": VERSION,
        "session": {"id": h.id, "name": h.name, "created": h.created},
        "turns": [{"prompt": root.prompt,
                   "answers": [builder.node(t) for t in (root, *builder.others.get(root.id, []))]}
                  for root in builder.roots],
    }


def export_tree(session: Session) -> bytes:
    """`session_tree` as indented JSON (UTF-8, non-ASCII kept, a final newline)."""
    return (json.dumps(session_tree(session), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
