"""The main screen's work on the engine: generations, model loads and adapter checks in threads.

Every engine call blocks, so each runs in a thread worker. A worker never touches a widget: it
posts its outcome as a typed message (tui/messages.py), result or error, and the handler for
that message updates the conversation and the screen; a failed answer keeps the conversation and
shows the engine's message. An answer that fails mid-stream keeps its tokens and is journaled as
a failed turn (finish reason "error", the error as its note). Tokens come back through a
StepBuffer that a ~30 Hz timer drains (tui/streaming.py). A generation's branch records the
request and adapters it starts with, so its header says what made it while it streams.
"""

from __future__ import annotations

from textual import work
from textual.timer import Timer
from textual.widgets import Input

from engine.errors import AdapterError, EngineError
from engine.types import AdapterSpec, GenerationResult, Message, ModelConfig
from sessions.partial import error_note

from .. import messages as m
from ..conversation import Branch
from ..prompt_report import PromptJob, branch_job, build_report, draft_provenance, preview_job
from ..streaming import FRAME_S, StreamJob
from ..widgets.transcript import Transcript
from .host import ChatHost
from .model_switch import ModelSwitch, switch_model
from .text_modal import ErrorModal, PromptModal


class EngineTasks:
    """Mixed into MainScreen (a ChatHost)."""

    job: StreamJob | None = None
    job_target: tuple[int, Branch] | None = None
    stream_timer: Timer
    # The host's (ChatHost), assigned here: declared so a type checker does not infer them here.
    follow: bool
    cursor: tuple[int, int] | None
    last_result: GenerationResult | None
    model_loading: bool

    def setup_stream_timer(self: ChatHost) -> None:
        self.stream_timer = self.set_interval(FRAME_S, self.drain_steps, pause=True)

    # ----- generation -------------------------------------------------------------------

    def start_generation(self: ChatHost, turn_index: int, branch: Branch,
                         continue_from: tuple[int, ...] = ()) -> None:
        request = self.chat.request(turn_index, continue_from)
        branch.request, branch.adapters = request, self.chat.adapters  # what made this branch
        self.job = StreamJob(self.backend, request)
        self.job_target = (turn_index, branch)
        self.follow = True
        self.stream_timer.resume()
        self.run_generation(self.job, self.chat.take_pending_adapters())
        self.refresh_status()

    @work(thread=True, exclusive=True, exit_on_error=False, group="generate")
    def run_generation(self: ChatHost, job: StreamJob, adapters: tuple[AdapterSpec, ...] | None) -> None:
        try:
            if adapters is not None:
                self.backend.set_adapters(adapters)
            result = job.run()
        except Exception as exc:  # the answer records it; the user sees it
            self.post_message(m.GenerationEnded(job, job.failed_result(), error=exc))
        else:
            self.post_message(m.GenerationEnded(job, result))

    def drain_steps(self: ChatHost) -> None:
        if self.job is None or self.job_target is None:
            return
        steps = self.job.buffer.drain()
        if steps:
            turn_index, branch = self.job_target
            branch.extend(steps)
            self.show_streamed(turn_index)

    def on_generation_ended(self: ChatHost, event: m.GenerationEnded) -> None:
        if event.job is not self.job or self.job_target is None:
            return
        self.drain_steps()
        self.stream_timer.pause()
        turn_index, branch = self.job_target
        error = event.error
        branch.result = event.result  # with an error: the partial answer, finish reason "error"
        if error is None and event.result is not None:
            self.last_result = event.result
        if error is not None:
            branch.error = error_note(error)
            if isinstance(error, AdapterError):
                self.chat.adapters_pending = True
        recorder = getattr(self.app, "recorder", None)
        if recorder is not None and event.result is not None:
            recorder.record(self.chat.conversation.turns[turn_index], branch, event.job.request,
                            event.result, note=branch.error)
        self.job = None
        self.job_target = None
        self.show_streamed(turn_index)
        self.refresh_status()
        self.report_error(error)

    def on_unmount(self: ChatHost) -> None:
        self.cancel_generation()  # do not leave the engine streaming to nobody at exit

    def cancel_generation(self: ChatHost) -> bool:
        if self.job is None:
            return False
        self.job.cancel()
        return True

    # ----- model and adapters ------------------------------------------------------------

    def start_model_load(self: ChatHost, config: ModelConfig | None,
                         adapters: tuple[AdapterSpec, ...] = ()) -> None:
        """Start the backend's model (None), or switch to `config` carrying `adapters` over."""
        self.model_loading = True
        self.run_load(config, adapters)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def run_load(self: ChatHost, config: ModelConfig | None, adapters: tuple[AdapterSpec, ...]) -> None:
        try:
            if config is None:
                switch = ModelSwitch(self.backend.start(), self.backend.config.adapters)
            else:
                switch = switch_model(self.backend, config, adapters)
        except Exception as exc:
            self.post_message(m.ModelLoadEnded(error=exc))
        else:
            self.post_message(m.ModelLoadEnded(switch))

    def on_model_load_ended(self: ChatHost, event: m.ModelLoadEnded) -> None:
        self.model_loading = False
        if event.switch is not None:
            self.model_loaded(event.switch)
        self.report_error(event.error)

    @work(thread=True, exclusive=True, exit_on_error=False, group="adapters")
    def run_adapter_check(self: ChatHost, specs: tuple[AdapterSpec, ...], added: AdapterSpec) -> None:
        try:
            self.backend.set_adapters(specs)
        except Exception as exc:
            self.post_message(m.AdapterChecked(added, error=exc))
        else:
            self.post_message(m.AdapterChecked(added))

    def on_adapter_checked(self: ChatHost, event: m.AdapterChecked) -> None:
        if event.error is None:
            self.adapter_accepted(event.spec)
        else:
            self.chat.adapters_pending = True  # the engine may hold another set now
            self.report_error(event.error)

    # ----- asking again, fresh ---------------------------------------------------------------

    async def ask_fresh(self: ChatHost) -> None:
        """Ask the user message of the turn under the cursor (or the last turn) again as a new
        turn whose prompt holds no earlier turns, under the current configuration."""
        convo = self.chat.conversation
        if self.job is not None:
            self.notify("Still generating: Esc cancels first.", severity="warning")
            return
        if not convo.turns:
            self.notify("Nothing to ask again yet: send a message first.", severity="warning")
            return
        source = convo.turns[self.cursor[0] if self.cursor is not None else -1]
        turn = convo.add_turn(source.user, fresh=True)
        await self.query_one(Transcript).add_turn(turn, len(convo.turns) - 1)
        turn_index = len(convo.turns) - 1
        self.cursor = None
        self.start_generation(turn_index, convo.new_branch(turn_index))

    # ----- the rendered prompt -----------------------------------------------------------

    def show_prompt(self: ChatHost) -> None:
        """F6: the exact prompt of the turn under the cursor; with no cursor, or with a message
        typed in the focused message box, what the next message would be sent as."""
        box = self.query_one("#message", Input)
        typed = box.value.strip()
        convo = self.chat.conversation
        info, config = self.backend.info, self.backend.config
        if self.cursor is not None and not (typed and self.focused is box):
            turn_index = self.cursor[0]
            job = branch_job(convo.turns[turn_index], turn_index + 1, info, config)
            if job is not None:
                self.run_prompt_report(job)
                return
        text = typed or "(your message)"
        history = convo.history(len(convo.turns) - 1 if self.editing and convo.turns else len(convo.turns))
        messages = (*history, Message("user", text))
        draft = draft_provenance(info, config, self.chat.system, self.chat.sampling, self.chat.adapters)
        self.run_prompt_report(preview_job(messages, draft, typed=bool(typed)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="render")
    def run_prompt_report(self: ChatHost, job: PromptJob) -> None:
        """Render (if the job asks) and hash the adapter files, off the UI thread."""
        try:
            report = build_report(job, self.backend)
        except Exception as exc:
            self.post_message(m.PromptReportReady(error=exc))
        else:
            self.post_message(m.PromptReportReady(report))

    def on_prompt_report_ready(self: ChatHost, event: m.PromptReportReady) -> None:
        if event.report is None:
            self.report_error(event.error)
            return
        self.app.push_screen(PromptModal(event.report))

    # ----- errors --------------------------------------------------------------------------

    def report_error(self: ChatHost, error: BaseException | None) -> None:
        """A notification for what the user can fix at once; a modal when there are details."""
        if error is None:
            return
        if isinstance(error, EngineError) and not error.details:
            self.notify(error.msg, title=error.title, severity="error", timeout=8, markup=False)
        else:
            self.app.push_screen(ErrorModal.from_error(error))
