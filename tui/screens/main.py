"""The main screen: transcript, message box, inspector, answer plot, side panels and status bar.

It owns the chat state (conversation plus the settings for the next generation) and the token
cursor, turns key presses and widget messages into changes of that state, and re-renders the
widgets from it. Engine work lives in the EngineTasks mixin (engine_tasks.py), the token cursor
and branching in Navigation (navigation.py), the jump keys in JumpKeys (jump_keys.py), rendering
the cursor's token in TokenView (shared with replay, token_view.py), panel messages in
PanelEvents (panel_events.py). What the mixins need from this screen is the ChatHost protocol
(host.py). Switching engines (a URL typed in the model panel, or `local`) is here: a thread worker
opens the remote engine (tui/remote_engine.py) and the screen, like the app, runs on it from then on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input, ProgressBar

from engine.backend import Backend
from engine.locations import data_dir
from engine.types import DISTRIBUTION_FULL, GenerationResult, ModelConfig
from sessions.distribution_marks import distribution_of

from .. import messages as m
from ..chat_state import ChatState
from ..choice_model import ChoiceQuestion, question_for
from ..config import Settings
from ..keymap import MAIN_BINDINGS
from ..remote_engine import address, open_remote, remote_origin
from ..widgets.inspector import Inspector
from ..widgets.panels import PANELS, AdaptersPanel, ModelPanel, SamplingPanel, SystemPanel
from ..widgets.plot import AnswerPlot
from ..widgets.status_bar import StatusBar, StatusInfo
from ..widgets.transcript import Transcript
from .battery import BatteryScreen
from .branch_tree import BranchTreeScreen, show_branch
from .choice import ChoiceScreen
from .engine_tasks import EngineTasks
from .expansion import Expand
from .help import HelpScreen
from .jump_keys import JumpKeys
from .live_compare import LiveCompareScreen
from .model_switch import ModelSwitch
from .navigation import Navigation
from .panel_events import PanelEvents
from .token_view import TokenView

NARROW = 140  # below this width an open side panel takes the inspector's place


def _marked(result: GenerationResult | None) -> str:
    """The status bar's distribution note: "" for a full (local) answer or none."""
    kind = distribution_of(result.steps) if result is not None else DISTRIBUTION_FULL
    return "" if kind == DISTRIBUTION_FULL else kind


if TYPE_CHECKING:
    from ..app import LogitscopeApp


class MainScreen(EngineTasks, Expand, Navigation, JumpKeys, TokenView, PanelEvents, Screen):
    BINDINGS: ClassVar[list[BindingType]] = [*MAIN_BINDINGS]

    if TYPE_CHECKING:  # the app this screen runs in (at run time, Textual's own property)
        app = getters.app(LogitscopeApp)

    model_loading: reactive[bool] = reactive(False, init=False)
    """A model load is under way (progress bars shown, new loads refused)."""

    def __init__(self, backend: Backend, chat: ChatState, settings: Settings,
                 load_on_start: bool = True) -> None:
        super().__init__()
        self.load_on_start = load_on_start
        self.backend, self.chat, self.settings = backend, chat, settings
        self.cursor: tuple[int, int] | None = None  # (turn, token position)
        self.follow = True  # the cursor tracks the newest token while streaming
        self.tint = settings.tint
        self.panel: str | None = None
        self.editing = False
        self.last_result: GenerationResult | None = None
        self.turn_offset = 0  # every turn of the conversation is shown

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="chat"):
                yield Transcript(id="transcript")
                # select_on_focus off: coming back to a draft (Esc, Esc) must not select it for the
                # next key to replace, nor swallow the key typed in the transcript that moved here.
                yield Input(placeholder="Ask something⏎   (F1 help · Esc cancel/transcript)", id="message",
                            select_on_focus=False)
            yield SystemPanel(self.chat.system, id="panel-system", classes="panel")
            yield AdaptersPanel(self.chat.adapters, self.backend.capabilities.lora_hot_swap,
                                id="panel-adapters", classes="panel")
            yield SamplingPanel(self.chat.sampling, self.chat.max_tokens, id="panel-sampling", classes="panel")
            yield ModelPanel(self.backend.config.model_path, self.backend.info, id="panel-model", classes="panel")
            with Vertical(id="sidebar"):
                yield Inspector(id="inspector")
                yield AnswerPlot(id="plot")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="load-progress")
        yield StatusBar(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.setup_stream_timer()
        transcript = self.query_one(Transcript)
        transcript.set_tint(self.tint)
        transcript.typing_target = self.query_one("#message", Input)  # stray typing lands there
        transcript.typing_target.focus()
        self.refresh_status()
        if self.load_on_start:
            self.start_model_load(None)

    def on_resize(self) -> None:
        self._layout_sidebar()

    def _layout_sidebar(self) -> None:
        # Set directly rather than through a screen class: restyling the whole screen is slow.
        self.query_one("#sidebar").display = not (self.panel and self.size.width < NARROW)

    # ----- rendering from state ----------------------------------------------------------

    def show_streamed(self, turn_index: int) -> None:
        branch = self.chat.conversation.turns[turn_index].answer
        if self.follow and branch is not None and branch.steps:
            self.cursor = (turn_index, len(branch.steps) - 1)
        self.render_turn(turn_index, follow=self.follow)

    def refresh_status(self) -> None:
        """Set the status bar's reactive state; it redraws only when something in it changed."""
        info = self.backend.info
        result = self.last_result
        ctx_used = 0
        if result is not None:
            ctx_used = len(result.provenance.prompt_token_ids) + len(result.steps)
        activity = "loading model…" if self.model_loading else ("generating… (Esc cancels)" if self.job else "")
        self.query_one(StatusBar).info = StatusInfo(
            model=info.name if info else Path(self.backend.config.model_path).name,
            adapters=self.chat.adapters,
            system=self.chat.system,
            sampling=self.chat.sampling,
            ctx_used=ctx_used,
            ctx_size=info.n_ctx if info else self.backend.config.n_ctx,
            tok_s=result.tokens_per_s if result else None,
            activity=activity,
            session=self.app.recorder.name if self.app.recorder is not None else "",
            jump=self.jump_status(),
            engine=address(origin) if (origin := remote_origin(self.backend)) is not None else "",
            distribution=_marked(result),
        )

    def render_turn(self, turn_index: int, follow: bool = False) -> None:
        super().render_turn(turn_index, follow)
        if self.cursor is not None and self.cursor[0] == turn_index:
            self.refresh_status()  # the jump count follows the cursor's answer (redrawn only if changed)

    # ----- switching engines (the model panel's engine field) ---------------------------------

    def on_engine_requested(self, event: m.EngineRequested) -> None:
        if self.job is not None or self.model_loading:
            self.notify("Busy: wait for the current generation or load.", severity="warning")
            return
        if not event.url and remote_origin(self.backend) is None:
            self.notify("Already on the local engine.", timeout=3)
            return
        self.model_loading = True
        self.run_engine_switch(event.url, self.app.local_backend())

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def run_engine_switch(self, url: str, local: Backend | None) -> None:
        """Open the remote engine at `url` (asking the server what it runs), or start the local
        engine again ("": the one the app ran on, else a new one on the default model)."""
        try:
            if url:
                backend = open_remote(url)
            elif local is not None:
                backend = local
            else:
                from engine.default_model import default_model_path
                from engine.local import LocalBackend

                backend = LocalBackend(ModelConfig(str(default_model_path())))
            info = backend.start()
        except Exception as exc:
            self.post_message(m.EngineSwitched(error=exc))
        else:
            self.post_message(m.EngineSwitched(backend, info))

    def on_engine_switched(self, event: m.EngineSwitched) -> None:
        self.model_loading = False
        if event.error is not None or event.backend is None or event.info is None:
            self.report_error(event.error)
            return
        self.app.adopt_backend(event.backend)
        self.backend = event.backend
        dropped = self.chat.adapters
        self.query_one(AdaptersPanel).reset(())
        self.chat.adapters, self.chat.adapters_pending = (), False
        self.model_loaded(ModelSwitch(event.info, ()))
        origin = remote_origin(self.backend)
        where = f"remote engine {origin.url}" if origin is not None else "the local engine"
        note = f" Adapters off: {', '.join(Path(a.path).name for a in dropped)}." if dropped else ""
        self.notify(f"Now on {where} ({event.info.name}).{note}", timeout=6, markup=False)

    def model_loaded(self, switch: ModelSwitch) -> None:
        """A model loaded; on a remote engine the panel shows the server and its capabilities
        (and the model, the server's file, is not remembered as one of this user's)."""
        origin = remote_origin(self.backend)
        if origin is None:
            super().model_loaded(switch)
            return
        self.query_one(ModelPanel).set_model(switch.info.path, switch.info, origin, self.backend.capabilities)
        self.chat.adapters, self.chat.adapters_pending = switch.adapters, False
        self.refresh_status()

    def watch_model_loading(self, loading: bool) -> None:
        self.query_one("#load-progress").display = loading
        self.query_one(ModelPanel).set_loading(loading)
        self.refresh_status()

    # ----- sending ------------------------------------------------------------------------

    @on(Input.Submitted, "#message")
    async def send(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self.job is not None:
            self.notify("Still generating: Esc cancels.", severity="warning")
            return
        event.input.value = ""
        convo = self.chat.conversation
        transcript = self.query_one(Transcript)
        if self.editing and convo.turns:
            self.editing = False
            convo.edit_last(text)
            await transcript.rebuild(convo.turns)
        else:
            await transcript.add_turn(convo.add_turn(text), len(convo.turns) - 1)
        turn_index = len(convo.turns) - 1
        self.cursor = None
        self.start_generation(turn_index, convo.new_branch(turn_index))

    # ----- actions --------------------------------------------------------------------------

    def action_escape(self) -> None:
        if self.stop_expansion() | self.cancel_generation():  # both: an expand's rest, then its stream
            self.notify("Cancelled.", timeout=2)
            return
        if self.editing:  # Escape abandons an edit of the last message
            self.editing = False
            self.query_one("#message", Input).value = ""
            return
        focused = self.focused
        if self.panel and focused is not None and self.query_one(f"#panel-{self.panel}") in focused.ancestors_with_self:
            self.action_toggle_panel(self.panel)
        elif isinstance(focused, Input) and focused.id == "message":
            self.query_one(Transcript).focus()
        else:
            self.query_one("#message", Input).focus()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.settings))

    def action_toggle_panel(self, name: str) -> None:
        opening = self.panel != name
        for key in PANELS:
            self.query_one(f"#panel-{key}").display = opening and key == name
        self.panel = name if opening else None
        self._layout_sidebar()
        if opening:
            self.call_after_refresh(self._focus_panel, name)
        else:
            self.query_one("#message", Input).focus()

    def _focus_panel(self, name: str) -> None:
        panel = self.query_one(f"#panel-{name}")
        for widget in panel.query("*"):
            if widget.focusable:
                widget.focus()
                return

    def action_show_prompt(self) -> None:
        self.show_prompt()  # the turn under the cursor, or the next message (EngineTasks)

    async def action_ask_fresh(self) -> None:
        await self.ask_fresh()  # the cursor's (or last) message again, without history (EngineTasks)

    def _engine_free(self) -> bool:
        """True when no generation runs and the model is loaded; else a notice says why not."""
        if self.job is not None or self.model_loading:
            self.notify("Wait for the generation to end (Esc cancels it)." if self.job is not None
                        else "The model is still loading.", severity="warning")
            return False
        return True

    def _question_for_a_tool(self) -> ChoiceQuestion | None:
        """The question ctrl+y and ctrl+l work on: the message box's text, else the selected (or
        last) turn's with its history; None (with a notice) when the engine is busy or there is none."""
        if not self._engine_free():
            return None
        typed = self.query_one("#message", Input).value
        question = question_for(self.chat.conversation, typed,
                                self.cursor[0] if self.cursor is not None else None, self.editing)
        if question is None:
            self.notify("Type a question in the message box first (or select a turn).", severity="warning")
        return question

    def action_choose(self) -> None:
        """ctrl+y: forced choice for the message box's question, else the selected (or last)
        turn's, under the current configuration; compared with the base model when adapters are on."""
        question = self._question_for_a_tool()
        if question is None:
            return
        compare = ("base",) if any(a.scale != 0 for a in self.chat.adapters) else ()
        self.app.push_screen(ChoiceScreen(self.backend, question, self.chat.system, self.chat.adapters, compare))

    def action_battery(self) -> None:
        """ctrl+b: the battery screen, on the current configuration. The runner switches the
        engine's adapters; the next generation applies the chat's own set again."""
        if not self._engine_free():
            return

        def back(_: None) -> None:
            self.chat.adapters_pending = True

        self.app.push_screen(BatteryScreen(self.backend, self.chat.system, self.chat.adapters, data_dir()), back)

    def action_live_compare(self) -> None:
        """ctrl+l: the message box's question (else the selected or last turn's) compared live under
        2-4 configurations. The comparison switches the engine's adapters per lane; the next
        generation applies the chat's own set again."""
        question = self._question_for_a_tool()
        if question is None:
            return

        def back(_: None) -> None:
            self.chat.adapters_pending = True

        chat = self.chat
        self.app.push_screen(LiveCompareScreen(
            self.backend, question, self.settings, system=chat.system, adapters=chat.adapters,
            sampling=chat.sampling, max_tokens=chat.max_tokens, top_k_probs=chat.top_k_probs), back)

    def action_branch_tree(self) -> None:
        """ctrl+t: the branch tree of the conversation; Enter there opens a branch at its fork."""
        if self.job is not None:
            self.notify("Still generating: Esc cancels first.", severity="warning")
            return
        convo = self.chat.conversation
        if not convo.turns:
            self.notify("No answers yet: send a message first.", severity="warning")
            return

        def opened(target: tuple[int, int, int] | None) -> None:
            if target is not None:
                show_branch(self, target)

        focus = self.cursor[0] if self.cursor is not None else len(convo.turns) - 1
        self.app.push_screen(BranchTreeScreen(convo, focus_turn=focus), opened)

    def action_regenerate(self) -> None:
        convo = self.chat.conversation
        if self.job is not None or not convo.turns:
            self.notify("Nothing to regenerate." if not convo.turns else "Still generating.", severity="warning")
            return
        turn_index = len(convo.turns) - 1
        self.cursor = None
        self.start_generation(turn_index, convo.new_branch(turn_index))

    def action_edit_last(self) -> None:
        convo = self.chat.conversation
        if self.job is not None or not convo.turns:
            return
        box = self.query_one("#message", Input)
        box.value = convo.turns[-1].user
        box.cursor_position = len(box.value)
        self.editing = True
        box.focus()
        self.notify("Editing the last message: Enter resends it.", timeout=3)

    async def action_new_chat(self) -> None:
        if self.job is not None:
            return
        self.chat.conversation.clear()
        self.cursor = None
        self.editing = False
        await self.query_one(Transcript).rebuild([])
        self.query_one(Inspector).show(None)
        self.query_one(AnswerPlot).show([])
        self.refresh_status()  # no answer left for the jump count
        self.query_one("#message", Input).focus()  # a new conversation starts with typing


if TYPE_CHECKING:
    from .host import ChatHost

    def _provides_what_its_mixins_ask(screen: MainScreen) -> ChatHost:
        return screen  # mypy checks here that the screen satisfies its mixins' host protocol
