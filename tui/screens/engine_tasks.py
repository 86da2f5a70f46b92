"""The main screen's work on the engine: generations, model loads and adapter checks in threads.

Every engine call blocks, so each runs in a thread worker; failures land in one
`on_worker_state_changed` handler that keeps the conversation and shows the engine's message.
Tokens come back through a StepBuffer that a ~30 Hz timer drains (tui/streaming.py).
"""

from __future__ import annotations

from textual import work
from textual.worker import Worker, WorkerState

from engine.errors import AdapterError, EngineError
from engine.types import AdapterSpec, Message, ModelConfig, RenderedPrompt

from ..conversation import Branch
from ..streaming import FRAME_S, StreamJob
from .model_switch import ModelSwitch, switch_model
from .text_modal import ErrorModal, PromptModal


class EngineTasks:
    """Mixed into MainScreen; relies on its `backend`, `chat`, refresh and status methods."""

    job: StreamJob | None = None
    job_target: tuple[int, Branch] | None = None
    loading: bool = False

    def setup_stream_timer(self) -> None:
        self._drain_timer = self.set_interval(FRAME_S, self.drain_steps, pause=True)

    # ----- generation -------------------------------------------------------------------

    def start_generation(self, turn_index: int, branch: Branch, continue_from: tuple[int, ...] = ()) -> None:
        self.job = StreamJob(self.backend, self.chat.request(turn_index, continue_from))
        self.job_target = (turn_index, branch)
        self.follow = True
        self._drain_timer.resume()
        self.run_generation(self.job, self.chat.take_pending_adapters())
        self.refresh_status()

    @work(thread=True, exclusive=True, exit_on_error=False, group="generate")
    def run_generation(self, job: StreamJob, adapters: tuple[AdapterSpec, ...] | None):
        if adapters is not None:
            self.backend.set_adapters(adapters)
        return job.run()

    def drain_steps(self) -> None:
        if self.job is None or self.job_target is None:
            return
        steps = self.job.buffer.drain()
        if steps:
            turn_index, branch = self.job_target
            branch.extend(steps)
            self.show_streamed(turn_index)

    def _generation_done(self, worker: Worker) -> None:
        self.drain_steps()
        self._drain_timer.pause()
        assert self.job_target is not None
        turn_index, branch = self.job_target
        if worker.state is WorkerState.SUCCESS:
            branch.result = worker.result
            if branch.result is not None:
                self.last_result = branch.result
                recorder = getattr(self.app, "recorder", None)
                if recorder is not None and self.job is not None:
                    recorder.record(self.chat.conversation.turns[turn_index], branch,
                                    self.job.request, branch.result)
        elif worker.state is WorkerState.CANCELLED:
            branch.error = "interrupted"
        else:
            error = worker.error
            branch.error = getattr(error, "msg", None) or f"{type(error).__name__}: {error}"
            if isinstance(error, AdapterError):
                self.chat.adapters_pending = True
            self.report_error(error)
        self.job = None
        self.job_target = None
        self.show_streamed(turn_index)
        self.refresh_status()

    def on_unmount(self) -> None:
        self.cancel_generation()  # do not leave the engine streaming to nobody at exit

    def cancel_generation(self) -> bool:
        if self.job is None:
            return False
        self.job.cancel()
        return True

    # ----- model and adapters ------------------------------------------------------------

    def start_model_load(self, config: ModelConfig | None, adapters: tuple[AdapterSpec, ...] = ()) -> None:
        """Start the backend's model (None), or switch to `config` carrying `adapters` over."""
        self.loading = True
        self.set_loading(True)
        self.run_load(config, adapters)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def run_load(self, config: ModelConfig | None, adapters: tuple[AdapterSpec, ...]) -> ModelSwitch:
        if config is None:
            return ModelSwitch(self.backend.start(), self.backend.config.adapters)
        return switch_model(self.backend, config, adapters)

    @work(thread=True, exclusive=True, exit_on_error=False, group="adapters")
    def run_adapter_check(self, specs: tuple[AdapterSpec, ...], added: AdapterSpec) -> AdapterSpec:
        self.backend.set_adapters(specs)
        return added

    @work(thread=True, exclusive=True, exit_on_error=False, group="render")
    def run_render(self, messages: tuple[Message, ...]) -> RenderedPrompt:
        return self.backend.render(self.chat.system, messages)

    def _rendered(self, prompt: RenderedPrompt) -> None:
        summary = (f"{len(prompt.token_ids)} tokens · template: {prompt.template_source} · "
                   f"system: {self.chat.system.describe()}")
        self.app.push_screen(PromptModal("Rendered prompt", summary, prompt.text))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.group == "generate":
            self._generation_done(worker)
        elif worker.group == "load":
            self.loading = False
            self.set_loading(False)
            if event.state is WorkerState.ERROR:
                self.report_error(worker.error)
            elif event.state is WorkerState.SUCCESS:
                self.model_loaded(worker.result)
        elif worker.group == "render":
            if event.state is WorkerState.ERROR:
                self.report_error(worker.error)
            elif event.state is WorkerState.SUCCESS:
                self._rendered(worker.result)
        elif worker.group == "adapters":
            if event.state is WorkerState.ERROR:
                self.report_error(worker.error)
                self.chat.adapters_pending = True  # the engine may hold another set now
            elif event.state is WorkerState.SUCCESS:
                self.adapter_accepted(worker.result)

    def report_error(self, error: BaseException | None) -> None:
        """A notification for what the user can fix at once; a modal when there are details."""
        if error is None:
            return
        if isinstance(error, EngineError) and not error.details:
            self.notify(error.msg, title=error.title, severity="error", timeout=8, markup=False)
        else:
            self.app.push_screen(ErrorModal.from_error(error))
