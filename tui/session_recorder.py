"""Journals every completed TUI generation into the app's session, off the UI thread.

`record_generation` fsyncs, which can take tens of milliseconds on a busy disk, so each turn is
appended by one background thread (one, so records land in the order generations finished and a
branch's parent is always written before the branch). A branch of the inspector is recorded with
its parent turn's id and the fork position; a regeneration names the turn's first answer as its
parent (no position). A generation an error ended after some tokens is recorded with what it
said, finish reason "error" and the error as the turn's note. A forced choice scored from the
chat (ctrl+y) is a choice turn of its own, one per configuration scored, with no parent; replay
shows it as "choice: 'Yes' 0.62, ...". A battery run from the battery screen (ctrl+b), finished,
stopped or failed, is one battery record (sessions/battery_runs.py) with its fingerprint, summary
and every record, so replay opens it without the run folder. A comparison from the compare
screen (ctrl+l), finished or stopped, is one comparison record (sessions/comparisons.py) with every
position, so replay opens it without a model. A failed write is a notification,
never a crash: the conversation goes on.

The session may not exist yet (`NewSession`): launching the TUI writes nothing, and the file is
created by the journal thread when the first turn is written, exactly once (turns are written one
at a time, and the creation is locked besides), so a launch that asks nothing leaves no empty
session behind. Until then `session` and `path` are None.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from engine.types import ChoiceRequest, ChoiceResult, GenerationRequest, GenerationResult
from sessions import BatteryRun, Session, SessionError, SessionStore, record_choice, record_generation
from sessions.comparisons import ComparisonRecord

from .conversation import Branch, Turn


@dataclass(frozen=True)
class NewSession:
    """A session of `store` made when the first turn is journaled: called `name` (appended to if a
    session of that name appeared meanwhile), or, without a name, named by the time, like
    `SessionStore.create`."""

    store: SessionStore
    name: str | None = None

    def create(self) -> Session:
        return self.store.open_or_create(self.name) if self.name else self.store.create()

    def describe(self) -> str:
        """What the status bar says until the session exists."""
        if self.name:
            return f"{self.name} (new, saved at the first answer)"
        return "new (saved at the first answer)"


class SessionRecorder:
    def __init__(self, session: Session | NewSession, on_error: Callable[[str], None] | None = None,
                 on_created: Callable[[Session], None] | None = None) -> None:
        self.session: Session | None = session if isinstance(session, Session) else None
        self._new = session if isinstance(session, NewSession) else None
        self.on_error = on_error
        self.on_created = on_created  # called on the journal thread once a NewSession exists
        self._create_lock = threading.Lock()
        self._ids: dict[int, tuple[Branch, str]] = {}  # id(branch) -> (branch kept alive, turn id)
        self._pending: list[Future] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="session-journal")

    @property
    def name(self) -> str:
        """The session's name, or what will happen once there is something to save."""
        if self.session is not None:
            return self.session.name
        return self._new.describe() if self._new is not None else ""

    @property
    def path(self) -> Path | None:
        """The file turns are written to, resolved (links and `..` followed); None until created."""
        return Path(os.path.realpath(self.session.path)) if self.session is not None else None

    @property
    def busy(self) -> bool:
        """Whether turns are queued or being written."""
        return any(not f.done() for f in self._pending)

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

    def record_choice(self, request: ChoiceRequest, result: ChoiceResult) -> Future:
        """Queue a forced choice's turn (the request carries its configuration); returns at once."""
        future = self._pool.submit(self._write_choice, request, result)
        self._pending = [f for f in self._pending if not f.done()] + [future]
        return future

    def record_battery(self, run: BatteryRun) -> Future:
        """Queue a battery run's record (`sessions.new_battery_run`); returns at once."""
        future = self._pool.submit(self._write_battery, run)
        self._pending = [f for f in self._pending if not f.done()] + [future]
        return future

    def record_comparison(self, record: ComparisonRecord) -> Future:
        """Queue a comparison's record (`sessions.comparisons.new_comparison`); returns at once."""
        future = self._pool.submit(self._write_comparison, record)
        self._pending = [f for f in self._pending if not f.done()] + [future]
        return future

    def _write_comparison(self, record: ComparisonRecord) -> str | None:
        try:
            return self._target().append_comparison(record).id
        except (OSError, SessionError, TypeError, ValueError) as exc:
            if self.on_error is not None:
                self.on_error(f"Could not journal the comparison to session {self.name!r}: {exc}")
            return None

    def _write_battery(self, run: BatteryRun) -> str | None:
        try:
            return self._target().append_battery_run(run).id
        except (OSError, SessionError, TypeError, ValueError) as exc:
            if self.on_error is not None:
                self.on_error(f"Could not journal the battery run to session {self.name!r}: {exc}")
            return None

    def _write_choice(self, request: ChoiceRequest, result: ChoiceResult) -> str | None:
        try:
            return record_choice(self._target(), request, result).id
        except (OSError, SessionError, TypeError, ValueError) as exc:
            if self.on_error is not None:
                self.on_error(f"Could not journal the choice to session {self.name!r}: {exc}")
            return None

    def _target(self) -> Session:
        """The session to append to, created on the first call when it is a NewSession."""
        with self._create_lock:
            if self.session is None:
                assert self._new is not None
                self.session = self._new.create()
                if self.on_created is not None:
                    self.on_created(self.session)
            return self.session

    def _write(self, branch: Branch, parent: Branch | None, position: int | None,
               request: GenerationRequest, result: GenerationResult, note: str) -> str | None:
        parent_id = self.turn_id(parent) if parent is not None else None
        try:
            session = self._target()
            saved = record_generation(session, request, result, parent=parent_id,
                                      branch_position=position if parent_id else None, note=note)
        except (OSError, SessionError, TypeError, ValueError) as exc:
            if self.on_error is not None:
                self.on_error(f"Could not journal the turn to session {self.name!r}: {exc}")
            return None
        self._ids[id(branch)] = (branch, saved.id)
        return saved.id

    def wait(self, timeout: float | None = 10) -> None:
        """Block until every queued turn is on disk (tests, and before the app exits)."""
        wait(list(self._pending), timeout=timeout)

    def close(self) -> None:
        self.wait()
        self._pool.shutdown(wait=True)
