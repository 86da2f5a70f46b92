"""Replay: a saved session exactly as it was (tints, inspector, plots, branches), with no model.

It reuses the main screen's widgets (Transcript, Inspector, AnswerPlot) and its token cursor
(the Navigation mixin) on a read-only conversation rebuilt from the journal. Turns are shown a
page at a time and decoded only when their page is shown, so a 1,000-turn session opens at once.
Grouping the records into turns and decoding a page read the file, so both run in a thread worker
that posts the page back (ReplayPageDecoded); quick page keys add up and only the newest page
requested is shown. Re-running under the current configuration and exporting live in ReplayActions.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from engine.types import TokenStep
from sessions import Session

from ..chat_state import ChatState
from ..conversation import Conversation
from ..config import TINT_MODES
from ..keymap import MAIN_BINDINGS
from .. import replay_model
from ..messages import ReplayPageDecoded
from ..widgets.inspector import Inspector
from ..widgets.plot import AnswerPlot
from ..widgets.transcript import Transcript
from .navigation import Navigation
from .replay_actions import ReplayActions

_NAVIGATION = {"cursor_left", "cursor_right", "answer_up", "answer_down", "cursor_first",
               "cursor_last", "branch_prev", "branch_next", "inspector", "cycle_tint_letter"}


class ReplayScreen(ReplayActions, Navigation, Screen):
    BINDINGS = [b for b in MAIN_BINDINGS if b.id in _NAVIGATION] + [
        Binding("escape,q", "close", "Back", id="replay_close"),
        Binding("pagedown,n", "page(1)", "Next page", id="replay_next_page", priority=True),
        Binding("pageup,p", "page(-1)", "Prev page", id="replay_prev_page", priority=True),
        Binding("r", "rerun", "Re-run", id="replay_rerun",
                tooltip="Re-run every turn under the current configuration, as a new linked session"),
        Binding("x", "export", "Export", id="replay_export", tooltip="Export as Markdown, HTML or JSONL"),
        Binding("c", "compare_current", "Compare", id="replay_compare",
                tooltip="Compare this session with the one being recorded, side by side"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.groups: list[list[int]] = []  # record indices per turn; filled by the first page's worker
        self.pages: list[tuple[int, int]] = []
        self.page = 0
        self.wanted = 0  # the page last asked for; the one shown once its worker reports
        self.start = 0
        self.chat = ChatState()
        self.cursor: tuple[int, int] | None = None
        self.follow = False
        self.job = None  # nothing streams here; Navigation checks it
        self.tint = "probability"

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="chat"):
                yield Transcript(id="transcript")
            with Vertical(id="sidebar"):
                yield Inspector(id="inspector")
                yield AnswerPlot(id="plot")
        yield Static(id="status")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        settings = getattr(self.app, "settings", None)
        self.tint = settings.tint if settings is not None and settings.tint in TINT_MODES else "probability"
        self.query_one(Transcript).set_tint(self.tint)
        self.query_one(Transcript).focus()
        self.refresh_status("opening…")
        self.decode_page(0)

    @work(thread=True, exclusive=True, exit_on_error=False, group="replay-page")
    def decode_page(self, page: int) -> None:
        """Group the records (once) and decode one page's turns, off the UI thread."""
        groups, pages = self.groups, self.pages
        if not pages:
            groups = replay_model.group_turns(self.session)
            pages = replay_model.paginate(self.session, groups)
        page = max(0, min(page, len(pages) - 1))
        start, end = pages[page]
        conversation = replay_model.page_conversation(self.session, groups, start, end)
        self.post_message(ReplayPageDecoded(page, groups, pages, conversation))

    async def on_replay_page_decoded(self, event: ReplayPageDecoded) -> None:
        self.groups, self.pages = event.groups, event.pages
        if event.page != max(0, min(self.wanted, len(self.pages) - 1)):
            return  # a page asked for before the newest one
        await self.show_page(event.page, event.conversation)

    async def show_page(self, page: int, conversation: Conversation) -> None:
        self.page = page
        self.start, _ = self.pages[page]
        self.chat.conversation = conversation
        self.cursor = None
        transcript = self.query_one(Transcript)
        await transcript.rebuild(self.chat.conversation.turns)
        for n in range(len(self.chat.conversation.turns)):
            transcript.refresh_answer(n, None)
        transcript.scroll_home(animate=False)
        shown = len(self.chat.conversation.turns)
        transcript.border_title = Content(f"replay · {self.session.name} · turns {self.start + 1}–{self.start + shown}"
                                   f" of {len(self.groups)} · page {self.page + 1}/{len(self.pages)}" if shown else f"replay · {self.session.name} · empty")
        self.query_one(Inspector).show(None)
        self.query_one(AnswerPlot).show([])
        self.refresh_status()

    def refresh_status(self, activity: str = "") -> None:
        h = self.session.header
        parts = [f" session {h.name} ({h.id})", f"created {h.created[:16].replace('T', ' ')}",
                 f"{len(self.session.turns)} records", "read-only"]
        if h.origin:
            parts.append(f"{h.origin.relation} of {h.origin.session}")
        if self.session.problems:
            parts.append(f"{len(self.session.problems)} damaged records skipped")
        if activity:
            parts.append(activity)
        self.query_one("#status", Static).update(Content(" │ ".join(parts)), layout=False)

    # ----- what Navigation expects from its screen ---------------------------------------------

    def current_step(self) -> TokenStep | None:
        if self.cursor is None:
            return None
        turn_index, pos = self.cursor
        branch = self.chat.conversation.turns[turn_index].answer
        return branch.steps[pos] if branch and 0 <= pos < len(branch.steps) else None

    def render_turn(self, turn_index: int, follow: bool = False) -> None:
        cursor = self.cursor[1] if self.cursor and self.cursor[0] == turn_index else None
        self.query_one(Transcript).refresh_answer(turn_index, cursor, follow)
        if self.cursor and self.cursor[0] == turn_index:
            step = self.current_step()
            self.query_one(Inspector).show(step, f"turn {self.start + turn_index + 1} · ")
            branch = self.chat.conversation.turns[turn_index].answer
            self.query_one(AnswerPlot).show(branch.steps if branch else [])
            view = self.query_one(Transcript).answer(turn_index)
            if view is not None and step is not None:
                view.scroll_visible(animate=False)

    def action_branch_from(self, index: int) -> None:
        self.notify("Replay is read-only: r re-runs the session under the current configuration.",
                    timeout=3)

    # ----- keys --------------------------------------------------------------------------------

    def action_cycle_tint(self) -> None:
        self.tint = TINT_MODES[(TINT_MODES.index(self.tint) + 1) % len(TINT_MODES)]
        self.query_one(Transcript).set_tint(self.tint)
        for n in range(len(self.chat.conversation.turns)):
            self.render_turn(n)

    def action_page(self, delta: int) -> None:
        target = self.wanted + delta
        if 0 <= target < len(self.pages) and target != self.wanted:
            self.wanted = target
            self.decode_page(target)

    def action_close(self) -> None:
        if self.rerunning:  # the worker drives the app's backend: the main screen must not yet
            self.notify("Re-running: wait until it finishes.", severity="warning", timeout=3)
            return
        self.dismiss()
