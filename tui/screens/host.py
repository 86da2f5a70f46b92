"""What the screen mixins need from the screen they are mixed into, declared in one place.

TokenView, Navigation, EngineTasks, PanelEvents and ReplayActions are mixins: their methods run
on a MainScreen or a ReplayScreen and use its state. Each mixin method annotates `self` with the
protocol below that names what it uses (the mypy pattern for mixins), so the contract is written
down instead of implied; tests check both screens satisfy it (the protocols are runtime-checkable).
A Protocol cannot be a base of a Textual Screen (their metaclasses clash), hence annotations.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload, runtime_checkable

from textual.timer import Timer
from textual.widget import Widget
from textual.worker_manager import WorkerManager

from engine.backend import Backend
from engine.types import AdapterSpec, GenerationResult, ModelConfig, TokenStep
from sessions import Session
from sessions.rerun import RunConfig

from ..chat_state import ChatState
from ..config import Settings
from ..conversation import Branch
from ..prompt_report import PromptJob
from ..session_recorder import SessionRecorder
from ..streaming import StreamJob
from .model_switch import ModelSwitch

if TYPE_CHECKING:
    from ..app import LogitscopeApp

QueryType = TypeVar("QueryType", bound=Widget)


@runtime_checkable
class DOMHost(Protocol):
    """The parts of a Textual Screen the mixins call."""

    @property
    def app(self) -> LogitscopeApp: ...

    @overload
    def query_one(self, selector: str) -> Widget: ...

    @overload
    def query_one(self, selector: type[QueryType]) -> QueryType: ...

    @overload
    def query_one(self, selector: str, expect_type: type[QueryType]) -> QueryType: ...

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...

    def post_message(self, message: Any) -> bool: ...


@runtime_checkable
class TokenHost(DOMHost, Protocol):
    """A screen showing a conversation with a token cursor: the main screen and replay."""

    chat: ChatState
    cursor: tuple[int, int] | None  # (turn, position) over the active branch of that turn
    follow: bool  # the cursor tracks the newest token while an answer streams
    tint: str
    turn_offset: int  # conversation turns before the first one shown (replay shows pages)
    job: StreamJob | None  # the generation streaming into the conversation (never in replay)

    def current_step(self) -> TokenStep | None: ...

    def render_turn(self, turn_index: int, follow: bool = False) -> None: ...

    def refresh_inspector(self) -> None: ...

    def action_branch_from(self, index: int) -> None: ...


@runtime_checkable
class ChatHost(TokenHost, Protocol):
    """The main screen: it owns the backend and sends the conversation to it."""

    backend: Backend
    settings: Settings
    model_loading: bool  # reactive: the progress bars and status follow it
    editing: bool  # the message box holds the last message being edited (F9)
    last_result: GenerationResult | None
    job_target: tuple[int, Branch] | None  # (turn, branch) the streaming job fills
    stream_timer: Timer  # drains the job's StepBuffer once a frame while it streams

    @property
    def focused(self) -> Widget | None: ...

    def refresh_status(self) -> None: ...

    def show_streamed(self, turn_index: int) -> None: ...

    def set_interval(self, interval: float, callback: Any, *, pause: bool = False) -> Timer: ...

    # EngineTasks and PanelEvents call each other through these.
    def start_generation(self, turn_index: int, branch: Branch, continue_from: tuple[int, ...] = ()) -> None: ...

    def run_generation(self, job: StreamJob, adapters: tuple[AdapterSpec, ...] | None) -> Any: ...

    def drain_steps(self) -> None: ...

    def cancel_generation(self) -> bool: ...

    def start_model_load(self, config: ModelConfig | None, adapters: tuple[AdapterSpec, ...] = ()) -> None: ...

    def run_load(self, config: ModelConfig | None, adapters: tuple[AdapterSpec, ...]) -> Any: ...

    def run_adapter_check(self, specs: tuple[AdapterSpec, ...], added: AdapterSpec) -> Any: ...

    def adapter_accepted(self, spec: AdapterSpec) -> None: ...

    def model_loaded(self, switch: ModelSwitch) -> None: ...

    def report_error(self, error: BaseException | None) -> None: ...

    def run_prompt_report(self, job: PromptJob) -> Any: ...


@runtime_checkable
class ReplayHost(TokenHost, Protocol):
    """The replay screen: one saved session, read-only."""

    session: Session

    @property
    def workers(self) -> WorkerManager: ...

    @property
    def rerunning(self) -> bool: ...

    def refresh_status(self, activity: str = "") -> None: ...

    def current_config(self) -> RunConfig: ...

    def run_rerun(self, config: RunConfig) -> Any: ...

    def read_current(self, recorder: SessionRecorder) -> Any: ...

    def run_export(self, path: Path) -> Any: ...

    def report_failure(self, error: BaseException | None, title: str) -> None: ...
