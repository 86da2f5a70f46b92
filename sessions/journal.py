"""One session file: reading it back after anything (crash, damage) and appending turns durably.

A session's lines are turns, battery runs (sessions/battery_runs.py) and comparisons
(sessions/comparisons.py); all are appended the same way. A turn is on disk before
`append_turn` returns: the record is written with one `write` on an
`O_APPEND` descriptor, then `fsync`ed, under an exclusive `flock` so the TUI and a shell loop
can append to the same session. Reading never trusts the file: a torn last record (a crash in
the middle of a write) and damaged lines are reported as `Problem`s and skipped, and the records
around them still load. Opening needs no model.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from .battery_runs import BatteryRun, BatteryRunEntry, BatteryRunList, battery_line, is_battery_line, parse_battery
from .comparisons import (
    ComparisonEntry,
    ComparisonList,
    ComparisonRecord,
    comparison_line,
    is_comparison_line,
    parse_comparison,
)
from .errors import NotASessionError, SessionError
from .format import FORMAT_VERSION, TurnEntry, header_line, parse_header, parse_turn, turn_line
from .lazy_records import LazyRecords
from .model import Problem, SessionHeader, SessionOrigin, Turn

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: appends are still single O_APPEND writes
    fcntl = None  # type: ignore[assignment]

_HEADER_PEEK = 1 << 16
R = TypeVar("R")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_turn_id() -> str:
    return uuid.uuid4().hex[:12]


class TurnList(LazyRecords[TurnEntry, Turn]):
    """The session's turns in file order; each is decoded from its line on first access."""


class Session:
    """An open session file. Use `Session.open(path)` or a SessionStore; append with `append_turn`,
    `append_battery_run` and `append_comparison`."""

    def __init__(self, path: Path, header: SessionHeader, entries: list[TurnEntry],
                 problems: list[Problem], battery_entries: list[BatteryRunEntry] | None = None,
                 comparison_entries: list[ComparisonEntry] | None = None) -> None:
        self.path = path
        self.header = header
        self.problems = problems
        self._entries = entries
        self._lock = threading.Lock()  # one append at a time from this process's threads
        self.turns = TurnList(entries)
        self.battery_runs = BatteryRunList(battery_entries or [])
        self.comparisons = ComparisonList(comparison_entries or [])
        lines = ([e.line for e in entries] + [e.line for e in battery_entries or ()]
                 + [e.line for e in comparison_entries or ()])
        self._next_line = max(lines + [p.line for p in problems if not p.torn], default=1) + 1

    # ----- identity -------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def name(self) -> str:
        return self.header.name

    def entry_meta(self, index: int) -> dict[str, Any]:
        """The parsed head of turn `index` (everything but its token steps), without decoding it."""
        return self._entries[index].meta

    def turn(self, ref: str) -> Turn:
        """A turn by id, id prefix, or 1-based position ("3")."""
        if ref.isdigit() and 1 <= int(ref) <= len(self.turns):
            return self.turns[int(ref) - 1]
        matches = [i for i, e in enumerate(self._entries) if str(e.meta.get("id", "")).startswith(ref)]
        if len(matches) != 1:
            raise SessionError(
                f"Session {self.id!r} has {'no' if not matches else 'several'} turns matching {ref!r}."
            )
        return self.turns[matches[0]]

    # ----- creating and opening -------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, name: str, origin: SessionOrigin | None = None) -> Session:
        header = SessionHeader(id=path.stem, name=name, created=utc_now(), version=FORMAT_VERSION,
                               origin=origin)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, header_line(header))
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(path.parent)
        return cls(path, header, [], [])

    @classmethod
    def open(cls, path: str | Path) -> Session:
        path = Path(path)
        header, body = _read(path, whole=True)
        entries, battery_entries, problems, comparison_entries = scan(body, first_line=2)
        return cls(path, header, entries, problems, battery_entries, comparison_entries)

    @staticmethod
    def read_header(path: str | Path) -> SessionHeader:
        """Only the header (cheap: for finding a session by name)."""
        return _read(Path(path), whole=False)[0]

    # ----- appending ------------------------------------------------------------------------------

    def append_turn(self, turn: Turn) -> Turn:
        """Write `turn` durably (write, flush, fsync) and add it to `turns`; returns it."""
        return self._append(turn_line(turn), self.turns, parse_turn, turn)

    def append_battery_run(self, run: BatteryRun) -> BatteryRun:
        """Write a battery run durably (one line, fsynced) and add it to `battery_runs`."""
        return self._append(battery_line(run), self.battery_runs, parse_battery, run)

    def append_comparison(self, record: ComparisonRecord) -> ComparisonRecord:
        """Write a comparison durably (one line, fsynced) and add it to `comparisons`."""
        return self._append(comparison_line(record), self.comparisons, parse_comparison, record)

    def _append(self, data: bytes, records: LazyRecords[Any, R], parse: Callable[[bytes, int, int, int], Any],
                record: R) -> R:
        """Write one record's line and add it to `records` with the entry its line parses to."""
        with self._lock:
            self._append_line(data)
            records._add(parse(data, self._next_line, 0, len(data) - 1), record)
            self._next_line += 1
        return record

    def _append_line(self, data: bytes) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            _seal_torn_tail(fd)
            view = memoryview(data)
            while view:  # os.write may write less than asked (signals, full disks)
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock

    def __repr__(self) -> str:
        runs = f", {len(self.battery_runs)} battery runs" if len(self.battery_runs) else ""
        runs += f", {len(self.comparisons)} comparisons" if len(self.comparisons) else ""
        return f"Session({self.id!r}, {len(self.turns)} turns{runs}, {str(self.path)!r})"


def _read(path: Path, whole: bool) -> tuple[SessionHeader, bytes]:
    where = str(path)
    try:
        with open(path, "rb") as handle:
            first = handle.readline(_HEADER_PEEK)
            if not first.endswith(b"\n"):
                raise NotASessionError(
                    f"{where} is not a logitscope session (no complete header line)."
                )
            header = parse_header(first, where)
            if not whole:
                return header, b""
            # One read of the known size (an unsized read() after readline() regrows its buffer).
            size = os.fstat(handle.fileno()).st_size - handle.tell()
            body = handle.read(max(0, size))
            more = handle.read()  # appended since the fstat
            return header, body + more if more else body
    except FileNotFoundError:
        raise SessionError(f"{where} does not exist.", title="No such session") from None
    except IsADirectoryError:
        raise NotASessionError(f"{where} is a directory, not a session file.") from None


def parse_record(buf: bytes, number: int, start: int = 0,
                 end: int | None = None) -> TurnEntry | BatteryRunEntry | ComparisonEntry:
    """Check one record line, a turn, a battery run or a comparison; ValueError (KeyError,
    TypeError) if it is damaged or of a type this reader does not know."""
    if is_battery_line(buf, start, end):
        return parse_battery(buf, number, start, end)
    if is_comparison_line(buf, start, end):
        return parse_comparison(buf, number, start, end)
    return parse_turn(buf, number, start, end)


def scan(body: bytes, first_line: int) -> tuple[list[TurnEntry], list[BatteryRunEntry], list[Problem],
                                                list[ComparisonEntry]]:
    """Check every record of `body` (the file after its header); collect the good, report the bad:
    turns, battery runs, problems, comparisons."""
    entries: list[TurnEntry] = []
    battery_entries: list[BatteryRunEntry] = []
    comparison_entries: list[ComparisonEntry] = []
    problems: list[Problem] = []
    start = 0
    number = first_line
    size = len(body)
    while start < size:
        end = body.find(b"\n", start)
        complete = end >= 0
        if not complete:
            end = size
        if end > start:
            try:
                entry = parse_record(body, number, start, end)
                if isinstance(entry, BatteryRunEntry):
                    battery_entries.append(entry)
                elif isinstance(entry, ComparisonEntry):
                    comparison_entries.append(entry)
                else:
                    entries.append(entry)
            except (ValueError, KeyError, TypeError) as exc:
                if complete:
                    problems.append(Problem(number, f"damaged record skipped: {exc}"))
                else:
                    problems.append(Problem(
                        number, "the last record was cut short (the program was probably killed "
                        "while writing it) and was skipped; every record before it is intact",
                        torn=True))
        start = end + 1
        number += 1
    return entries, battery_entries, problems, comparison_entries


def _seal_torn_tail(fd: int) -> None:
    """Before appending after a crash: drop a cut-short last record so the new one starts a line."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return
    os.lseek(fd, size - 1, os.SEEK_SET)
    if os.read(fd, 1) == b"\n":
        return
    # Find the start of the unfinished last line and check whether it is a complete record.
    block = min(size, 1 << 20)
    pos = size
    tail = b""
    while pos > 0:
        step = min(block, pos)
        pos -= step
        os.lseek(fd, pos, os.SEEK_SET)
        tail = os.read(fd, step) + tail
        cut = tail.rfind(b"\n")
        if cut >= 0:
            line_start = pos + cut + 1
            fragment = tail[cut + 1:]
            break
    else:
        line_start, fragment = 0, tail
    if line_start == 0:
        raise SessionError("The session file's header is damaged; it cannot be appended to.")
    try:
        parse_record(fragment, 0)
    except (ValueError, KeyError, TypeError):
        os.ftruncate(fd, line_start)  # unreadable anyway; it was reported as torn when read
        return
    os.write(fd, b"\n")  # complete but for its newline: keep it


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
