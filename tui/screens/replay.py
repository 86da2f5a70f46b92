"""Replay: a saved session exactly as it was (tints, inspector, plots, branches), with no model.

It reuses the main screen's widgets (Transcript, Inspector, AnswerPlot), its token cursor
(Navigation), its jump keys (JumpKeys) and its rendering of the cursor's token (TokenView) on a
read-only conversation rebuilt from the journal. Turns are shown a page at a time and decoded only when their page is
shown, so a 1,000-turn session opens at once. Grouping the records into turns and decoding a page
read the file, so both run in a thread worker that posts the page back (ReplayPageDecoded);
quick page keys add up and only the newest page asked for is shown. Re-running under the current
configuration and exporting live in ReplayActions. A session's battery runs (from the battery
screen) are listed by `b` (shown only when there are some) and open read-only in
BatteryRunScreen (battery_run_view.py); its comparisons (from the compare screen, ctrl+l, or
`logitscope compare --session`) by `v`, each opening read-only in the compare screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from sessions import Session

from .. import replay_model
from ..chat_state import ChatState
from ..config import TINT_MODES
from ..keymap import MAIN_BINDINGS
from ..messages import ReplayPageDecoded
from ..prompt_report import saved_report
from ..streaming import StreamJob
from ..widgets.inspector import Inspector
from ..widgets.plot import AnswerPlot
from ..widgets.transcript import Transcript
from .jump_keys import JumpKeys
from .navigation import Navigation
from .replay_actions import ReplayActions
from .text_modal import PromptModal
from .token_view import TokenView

_NAVIGATION = {"cursor_left", "cursor_right", "answer_up", "answer_down", "cursor_first",
               "cursor_last", "branch_prev", "branch_next", "cycle_tint", "jump_next", "jump_prev",
               "jump_criterion"}


if TYPE_CHECKING:
    from ..app import LogitscopeApp


class ReplayScreen(ReplayActions, Navigation, JumpKeys, TokenView, Screen):
    if TYPE_CHECKING:  # the app this screen runs in (at run time, Textual's own property)
        app = getters.app(LogitscopeApp)

    BINDINGS: ClassVar[list[BindingType]] = [
        *(b for b in MAIN_BINDINGS if b.id in _NAVIGATION),
        # Replay is read-only and has no message box, so its single letters cannot be stray typing.
        Binding("h", "cursor(-1)", "Previous token", id="replay_cursor_left", show=False),
        Binding("l", "cursor(1)", "Next token", id="replay_cursor_right", show=False),
        Binding("k", "answer(-1)", "Previous answer", id="replay_answer_up", show=False),
        Binding("j", "answer(1)", "Next answer", id="replay_answer_down", show=False),
        Binding("t", "cycle_tint", "Tint", id="replay_tint", show=False),
        Binding("i", "focus_inspector", "Inspector", id="replay_inspector", show=False,
                tooltip="Focus the inspector's list of alternatives"),
        Binding("escape,q", "close", "Back", id="replay_close"),
        Binding("pagedown,n", "page(1)", "Next page", id="replay_next_page", priority=True),
        Binding("pageup,p", "page(-1)", "Prev page", id="replay_prev_page", priority=True),
        Binding("r", "rerun", "Re-run", id="replay_rerun",
                tooltip="Re-run every turn under the current configuration, as a new linked session"),
        Binding("x", "export", "Export", id="replay_export", tooltip="Export as Markdown, HTML or JSONL"),
        Binding("c", "compare_current", "Compare", id="replay_compare",
                tooltip="Compare this session with the one being recorded, side by side"),
        Binding("f6", "show_prompt", "Prompt", id="replay_show_prompt",
                tooltip="The exact prompt of the turn under the cursor, with its configuration, as saved"),
        Binding("g", "branch_tree", "Tree", id="replay_branch_tree",
                tooltip="The branch tree of the page's turns, read-only: Enter shows that branch"),
        Binding("b", "battery_runs", "Batteries", id="replay_battery_runs",
                tooltip="The session's battery runs: open one's results and records, read-only"),
        Binding("v", "comparisons", "Comparisons", id="replay_comparisons",
                tooltip="The session's comparisons: open one side by side, read-only"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.groups: list[list[int]] = []  # record indices per turn; filled by the first page's worker
        self.pages: list[tuple[int, int]] = []
        self.page = 0
        self.wanted = 0  # the page last asked for; the one shown once its worker reports
        self.turn_offset = 0  # session turns before the page shown
        self.chat = ChatState()
        self.cursor: tuple[int, int] | None = None
        self.follow = False
        self.job: StreamJob | None = None  # nothing streams in replay
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

    def on_mount(self) -> None:
        settings = getattr(self.app, "settings", None)
        self.tint = settings.tint if settings is not None and settings.tint in TINT_MODES else "probability"
        self.query_one(Transcript).set_tint(self.tint)
        self.query_one(Transcript).focus()
        self.refresh_status("opening…")
        self.decode_page(0)

    # ----- pages, decoded in a worker ----------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="replay-page")
    def decode_page(self, page: int) -> None:
        """Group the records (once) and decode one page's turns, off the UI thread."""
        try:
            groups, pages = self.groups, self.pages
            if not pages:
                groups = replay_model.group_turns(self.session)
                pages = replay_model.paginate(self.session, groups)
            page = max(0, min(page, len(pages) - 1))
            start, end = pages[page]
            conversation = replay_model.page_conversation(self.session, groups, start, end)
        except Exception as exc:  # a record damaged in a way the journal reader let through
            self.post_message(ReplayPageDecoded(page, error=exc))
        else:
            self.post_message(ReplayPageDecoded(page, groups, pages, conversation))

    async def on_replay_page_decoded(self, event: ReplayPageDecoded) -> None:
        if event.conversation is None:
            self.refresh_status()
            self.report_failure(event.error, "Replay")
            return
        self.groups, self.pages = event.groups, event.pages
        if event.page != max(0, min(self.wanted, len(self.pages) - 1)):
            return  # a page asked for before the newest one
        self.page = event.page
        self.turn_offset = self.pages[self.page][0]
        self.chat.conversation = event.conversation
        self.cursor = None
        transcript = self.query_one(Transcript)
        await transcript.rebuild(self.chat.conversation.turns)
        for n in range(len(self.chat.conversation.turns)):
            transcript.refresh_answer(n, None)
        transcript.scroll_home(animate=False)
        transcript.border_title = Content(self.title_text())  # the session's name is user text
        self.query_one(Inspector).show(None)
        self.query_one(AnswerPlot).show([])
        self.refresh_status()

    def title_text(self) -> str:
        shown = len(self.chat.conversation.turns)
        if not shown:
            return f"replay · {self.session.name} · empty"
        first = self.turn_offset + 1
        return (f"replay · {self.session.name} · turns {first}–{first + shown - 1} of "
                f"{len(self.groups)} · page {self.page + 1}/{len(self.pages)}")

    def refresh_status(self, activity: str = "") -> None:
        """One short line: the activity first (a long session name is what gets cut, at the end),
        then the session's name, size and where it came from (its id and date are in the
        browser; the page is in the transcript's title)."""
        h = self.session.header
        records = len(self.session.turns)
        parts = [f"session {h.name}", f"{records} record{'s' if records != 1 else ''}", "read-only"]
        if h.origin:
            parts.append(f"{h.origin.relation} of {h.origin.session}")
        runs = len(self.session.battery_runs)
        if runs:
            parts.append(f"{runs} battery run{'s' if runs != 1 else ''} (b)")
        comparisons = len(self.session.comparisons)
        if comparisons:
            parts.append(f"{comparisons} comparison{'s' if comparisons != 1 else ''} (v)")
        if self.session.problems:
            parts.append(f"{len(self.session.problems)} damaged skipped")
        jump = self.jump_status()  # once the jump keys are used
        if jump:
            parts.append(jump)
        line = Content(" │ ".join(parts))
        if activity:
            line = Content.assemble((activity, "bold"), " │ ", line)
        self.query_one("#status", Static).update(Content(" ") + line, layout=False)

    def render_turn(self, turn_index: int, follow: bool = False) -> None:
        super().render_turn(turn_index, follow)
        if self.cursor is not None and self.cursor[0] == turn_index and not self.rerunning:
            self.refresh_status()  # the jump count follows the cursor's answer (a re-run's progress
            # line keeps its activity: its next update recounts)

    # ----- keys --------------------------------------------------------------------------------

    def action_branch_from(self, index: int) -> None:
        self.notify("Replay is read-only: r re-runs the session under the current configuration.",
                    timeout=3)

    def action_page(self, delta: int) -> None:
        target = self.wanted + delta
        if 0 <= target < len(self.pages):
            self.wanted = target
            self.decode_page(target)

    def action_show_prompt(self) -> None:
        """F6: the saved prompt and configuration of the turn under the cursor (else the page's last)."""
        turns = self.chat.conversation.turns
        if not turns:
            self.notify("No turn to show.", timeout=3)
            return
        turn_index = self.cursor[0] if self.cursor is not None else len(turns) - 1
        turn = turns[turn_index]
        saved = self.session.turns[self.groups[self.turn_offset + turn_index][turn.active]]
        report = saved_report(turn, self.turn_offset + turn_index + 1, saved)
        if report is not None:
            self.app.push_screen(PromptModal(report))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`b` is offered (in the footer too) only for a session with battery runs, `v` only for
        one with comparisons."""
        if action == "battery_runs":
            return len(self.session.battery_runs) > 0
        if action == "comparisons":
            return len(self.session.comparisons) > 0
        return super().check_action(action, parameters)

    def action_battery_runs(self) -> None:
        """b: pick one of the session's battery runs and open its results, read-only."""
        from .battery_run_view import BatteryRunScreen, BatteryRunsModal

        if not len(self.session.battery_runs):
            self.notify("This session has no battery runs.", timeout=3)
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                self.app.push_screen(BatteryRunScreen(self.session, index))

        self.app.push_screen(BatteryRunsModal(self.session), chosen)

    def action_comparisons(self) -> None:
        """v: pick one of the session's comparisons and open it side by side, read-only."""
        from .comparisons_modal import ComparisonsModal
        from .live_compare import LiveCompareScreen

        if not len(self.session.comparisons):
            self.notify("This session has no comparisons.", timeout=3)
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                self.app.push_screen(LiveCompareScreen.replaying(self.session, index, self.app.settings))

        self.app.push_screen(ComparisonsModal(self.session), chosen)

    def action_branch_tree(self) -> None:
        """g: the page's turns as a branch tree, read-only; Enter shows that branch at its fork."""
        from .branch_tree import BranchTreeScreen, show_branch

        if not self.chat.conversation.turns:
            self.notify("No turn to show.", timeout=3)
            return

        def opened(target: tuple[int, int, int] | None) -> None:
            if target is not None:
                show_branch(self, target)

        focus = self.cursor[0] if self.cursor is not None else None
        self.app.push_screen(BranchTreeScreen(self.chat.conversation, self.turn_offset, read_only=True,
                                              focus_turn=focus), opened)

    def action_close(self) -> None:
        if self.rerunning:  # the worker drives the app's backend: the main screen must not yet
            self.notify("Re-running: wait until it finishes.", severity="warning", timeout=3)
            return
        self.dismiss()


if TYPE_CHECKING:
    from .host import ReplayHost

    def _provides_what_its_mixins_ask(screen: ReplayScreen) -> ReplayHost:
        return screen  # mypy checks here that the screen satisfies its mixins' host protocol
