"""The session browser: every saved session (name, date, model, turns), searchable.

A session that holds battery runs or comparisons says so in the turns column: "2 battery runs"
for one with no turns, "5 + 2 battery runs + 1 comparison" for one with all three.

Enter replays the highlighted session, c marks it for a comparison (the second c compares the
two), d deletes it after a confirmation. Listing and searching go through the store's index, and
opening a session reads and verifies its whole journal, so all of them run in thread workers;
the newest request wins (exclusive workers). Session names, ids, paths and error messages are
untrusted text: they are shown as plain `Text`/`Content`, or escaped where a markup string is
required, never parsed as markup.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState

from sessions import Session, SessionError, SessionInfo, SessionStore

from .session_modals import ConfirmModal

SEARCH_DELAY_S = 0.25


def when(created: str) -> str:
    return created[:16].replace("T", " ") if created else "?"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _extras(info: SessionInfo) -> list[str]:
    """What a session holds besides turns: its battery runs and comparisons."""
    return [plural(n, word) for n, word in ((info.battery_runs, "battery run"), (info.comparisons, "comparison")) if n]


def records_cell(info: SessionInfo) -> str:
    """The turns column: the turn count, with the battery runs and comparisons when there are any
    ("5", "2 battery runs", "1 + 1 battery run + 2 comparisons")."""
    extras = _extras(info)
    if not extras:
        return str(info.turns)
    return " + ".join(([str(info.turns)] if info.turns else []) + extras)


def records_phrase(info: SessionInfo) -> str:
    """'5 turns', '2 battery runs', '5 turns, 2 battery runs, 1 comparison'."""
    extras = _extras(info)
    return ", ".join(([f"{info.turns} turns"] if info.turns or not extras else []) + extras)


def literal(text: str) -> str:
    """`text` as Textual markup that renders exactly `text` (every `[` escaped; textual's own
    `escape` leaves `[$x]`, `[B]` and `[ b]` alone, which still parse as tags)."""
    return text.replace("[", "\\[")


def strong(text: str) -> str:
    """`text` in bold, as markup. Trailing backslashes go after the closing tag: right before a
    `[` they would escape it."""
    core = text.rstrip("\\")
    return f"[b]{literal(core)}[/b]{text[len(core):]}"


class SessionBrowser(Screen):
    BINDINGS = [
        Binding("escape", "close", "Back", id="browser_close"),
        Binding("enter", "open", "Replay", id="browser_open", show=True, priority=False),
        Binding("c", "compare", "Compare", id="browser_compare",
                tooltip="Mark a session to compare; c on another compares the two"),
        Binding("d,delete", "delete", "Delete", id="browser_delete"),
        Binding("slash", "search", "Search", id="browser_search"),
    ]

    def __init__(self, store: SessionStore | None = None) -> None:
        super().__init__()
        self.store = store or SessionStore()
        self.infos: list[SessionInfo] = []
        self.marked: SessionInfo | None = None
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search names, prompts and answers  (/ to focus · Tab to the list)",
                    id="session-search")
        yield DataTable(id="session-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="browser-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("name", "created (UTC)", "model", "turns", "notes")
        self.reload()
        table.focus()

    @property
    def current_path(self) -> Path | None:
        """The file the app is recording into (resolved); None when it records nothing or has
        not created its session yet. Matched by file, not by id: a copy keeps its original's id."""
        recorder = getattr(self.app, "recorder", None)
        return recorder.path if recorder is not None else None

    def records_into(self, info: SessionInfo) -> bool:
        current = self.current_path
        return current is not None and Path(os.path.realpath(info.path)) == current

    def reload(self) -> None:
        self.load(self.query_one("#session-search", Input).value.strip())

    @work(thread=True, exclusive=True, exit_on_error=False, group="browse")
    def load(self, text: str) -> list[SessionInfo]:
        return self.store.search(text) if text else self.store.list()

    @work(thread=True, exclusive=True, exit_on_error=False, group="open-session")
    def open_sessions(self, paths: tuple[str, ...]) -> list[Session]:
        """Read (and verify) the sessions to replay (one) or compare (two)."""
        return [self.store.open(path) for path in paths]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "browse":
            if event.state is WorkerState.SUCCESS:
                self.show(event.worker.result or [])
            elif event.state is WorkerState.ERROR:
                self._error(event.worker.error, "Sessions")
        elif event.worker.group == "open-session":
            if event.state is WorkerState.SUCCESS:
                self._opened(event.worker.result or [])
            elif event.state is WorkerState.ERROR:
                self._error(event.worker.error, "Session")

    def _error(self, error: BaseException | None, title: str) -> None:
        self.notify(getattr(error, "msg", str(error)), title=title, severity="error", markup=False)

    def _opened(self, sessions: list[Session]) -> None:
        if len(sessions) == 1:
            from .replay import ReplayScreen

            self.app.push_screen(ReplayScreen(sessions[0]))
        elif len(sessions) == 2:
            from .compare import CompareScreen

            self.app.push_screen(CompareScreen(*sessions))

    def show(self, infos: list[SessionInfo]) -> None:
        self.infos = infos
        table = self.query_one(DataTable)
        table.clear()
        for info in infos:
            notes = []
            if self.records_into(info):
                notes.append("● current")
            if info.origin:
                notes.append(f"{info.origin.relation} of {info.origin.session}")
            if info.problems:
                notes.append(f"{info.problems} damaged")
            if info.error:
                notes.append(info.error)
            table.add_row(*(Text(cell) for cell in (
                info.name or info.id, when(info.created), info.model or "–", records_cell(info),
                " · ".join(notes))), key=info.path)
        marked = f" · marked for compare: {self.marked.name}" if self.marked else ""
        self.query_one("#browser-status", Static).update(Content(
            f" {len(infos)} sessions{marked} · Enter replay · c compare · d delete · / search"),
            layout=False)

    def selected(self) -> SessionInfo | None:
        table = self.query_one(DataTable)
        if not self.infos or table.cursor_row is None or not 0 <= table.cursor_row < len(self.infos):
            return None
        return self.infos[table.cursor_row]

    @on(Input.Changed, "#session-search")
    def _search(self) -> None:
        # A search opens every session: wait for a pause in the typing rather than scan per key.
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SEARCH_DELAY_S, self.reload)

    @on(Input.Submitted, "#session-search")
    def _to_table(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowSelected, "#session-table")
    def _row_selected(self) -> None:
        self.action_open()

    def action_search(self) -> None:
        self.query_one("#session-search", Input).focus()

    def action_close(self) -> None:
        self.dismiss()

    def action_open(self) -> None:
        info = self.selected()
        if info is not None and not info.error:
            self.open_sessions((info.path,))

    def action_compare(self) -> None:
        info = self.selected()
        if info is None or info.error:
            return
        if self.marked is None or self.marked.path == info.path:
            self.marked = info
            self.show(self.infos)
            self.notify(f"Marked {info.name!r}: highlight another session and press c.", timeout=3,
                        markup=False)
            return
        paths = (self.marked.path, info.path)
        self.marked = None
        self.show(self.infos)
        self.open_sessions(paths)

    def action_delete(self) -> None:
        info = self.selected()
        if info is None:
            return
        if self.records_into(info):
            self.notify("This is the session the app is recording into; it cannot be deleted now.",
                        severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.store.delete(info.path)
            except (SessionError, OSError) as exc:
                self._error(exc, "Delete")
                return
            self.notify(f"Deleted {info.name!r}.", timeout=3, markup=False)
            self.reload()

        self.app.push_screen(ConfirmModal(
            f"Delete session {strong(info.name or info.id)} ({records_phrase(info)})?\n"
            f"{literal(Path(info.path).name)}\nThis cannot be undone."),
            confirmed)
