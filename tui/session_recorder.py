"""Journals every completed TUI generation into the app's session, off the UI thread.

`record_generation` fsyncs, which can take tens of milliseconds on a busy disk, so each turn is
appended by one background thread (one, so records land in the order generations finished and a
branch's parent is always written before the branch). A branch of the inspector is recorded with
its parent turn's id and the fork position; a regeneration names the turn's first answer as its
parent (no position). A generation an error ended after some tokens is recorded with what it
said, finish reason "error" and the error as the turn's note. A failed write is a notification,
never a crash: the conversation goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from engine.types import GenerationRequest, GenerationResult
from sessions import Session, SessionError, record_generation

from .conversation import Branch, Turn


class SessionRecorder:
    def __init__(self, session: Session, on_error: Callable[[str], None] | None = None) -> None:
        self.session = session
        self.on_error = on_error
        self._ids: dict[int, tuple[Branch, str]] = {}  # id(branch) -> (branch kept alive, turn id)
        self._pending: list[Future] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="session-journal")

    @property
    def name(self) -> str:
        return self.session.name

    def turn_id(self, branch: Branch) -> str | None:
        entry = self._ids.get(id(branch))
        return entry[1] if entry and entry[0] is branch else None

    def record(self, turn: Turn, branch: Branch, request: GenerationRequest,
               result: GenerationResult, note: str = "") -> Future:
        """Queue the append; returns at once. `turn` is the conversation turn `branch` belongs to;
        `note` is the error that ended a failed generation (a partial `result`)."""
        parent_branch: Branch | None = None
        position: int | None = None
        if branch.parent is not None and branch.fork_at is not None:
            parent_branch, position = turn.branches[branch.parent], branch.fork_at
        elif turn.branches and turn.branches[0] is not branch:
            parent_branch = turn.branches[0]  # a regeneration: another answer to the same message
        future = self._pool.submit(self._write, branch, parent_branch, position, request, result, note)
        self._pending = [f for f in self._pending if not f.done()] + [future]
        return future

    def _write(self, branch: Branch, parent: Branch | None, position: int | None,
               request: GenerationRequest, result: GenerationResult, note: str) -> str | None:
        parent_id = self.turn_id(parent) if parent is not None else None
        try:
            saved = record_generation(self.session, request, result, parent=parent_id,
                                      branch_position=position if parent_id else None, note=note)
        except (OSError, SessionError, TypeError, ValueError) as exc:
            if self.on_error is not None:
                self.on_error(f"Could not journal the turn to session {self.session.name!r}: {exc}")
            return None
        self._ids[id(branch)] = (branch, saved.id)
        return saved.id

    def wait(self, timeout: float | None = 10) -> None:
        """Block until every queued turn is on disk (tests, and before the app exits)."""
        wait(list(self._pending), timeout=timeout)

    def close(self) -> None:
        self.wait()
        self._pool.shutdown(wait=True)
