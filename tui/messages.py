"""Typed messages: what widgets and panels ask of their screen, and what workers report back.

Widgets never call the engine or reach into the screen; they describe what the user asked for
and the screen (which owns the backend and the conversation) decides what to do. A screen's
thread workers post their outcome as one of the messages at the end (posting is thread-safe),
so the screen handles each kind of result in its own handler; they do not bubble past it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.message import Message

from engine.compare import CompareResult
from engine.process_memory import WorkerMemory
from engine.types import AdapterSpec, GenerationResult, ModelInfo, SamplingSettings, SystemPrompt
from sessions import Session
from sessions.batteries.summary import SummaryRow
from sessions.compare import SessionComparison
from sessions.comparisons import ComparisonRecord

from .choice_model import ScoredConfiguration
from .compare_model import OtherModel, Thresholds
from .compare_stream import CompareJob
from .conversation import Conversation
from .prompt_report import PromptReport
from .screens.model_switch import ModelSwitch
from .streaming import StreamJob


@dataclass
class AlternativeChosen(Message):
    """Branch from the token under the cursor, replacing it with alternative `index` (0-based)."""

    index: int


@dataclass
class SystemChanged(Message):
    system: SystemPrompt


@dataclass
class SamplingChanged(Message):
    sampling: SamplingSettings
    max_tokens: int


@dataclass
class AdaptersChanged(Message):
    """The active adapter set changed; it applies to the next generation."""

    adapters: tuple[AdapterSpec, ...]


@dataclass
class AdapterAdded(Message):
    """A new adapter path the user typed; the screen asks the engine to validate it."""

    spec: AdapterSpec


@dataclass
class ModelRequested(Message):
    path: str


@dataclass
class EngineRequested(Message):
    """Run on the remote engine at `url` (typed in the model panel); "" = back to the local engine."""

    url: str


# ----- what workers report to the screen that started them ------------------------------------
# Each worker catches what its work raises and posts it as `error` instead of a result, so every
# failure reaches the handler that knows what it interrupted (a branch, a load, a page).


@dataclass
class WorkEnded(Message, bubble=False):
    """A thread worker's outcome; `error` is set, and the result None, when the work failed."""

    error: BaseException | None = field(default=None, kw_only=True)


@dataclass
class GenerationEnded(WorkEnded, bubble=False):
    """`job` finished streaming: its result (a cancel still gives one), or the error it hit,
    with the partial answer (finish reason "error") as `result` if it had decided any token."""

    job: StreamJob
    result: GenerationResult | None = None


@dataclass
class ModelLoadEnded(WorkEnded, bubble=False):
    """The model (re)loaded, with the adapters it kept and dropped, or the load failed."""

    switch: ModelSwitch | None = None


@dataclass
class EngineSwitched(WorkEnded, bubble=False):
    """A remote engine was opened (or the local one started again): the screen runs on `backend`."""

    backend: Any = None  # a Backend, started
    info: ModelInfo | None = None


@dataclass
class AdapterChecked(WorkEnded, bubble=False):
    """The engine accepted `spec` (with the others active), unless `error` says why not."""

    spec: AdapterSpec


@dataclass
class PromptReportReady(WorkEnded, bubble=False):
    """F6's prompt, rendered and described (tui/prompt_report.py), or why not."""

    report: PromptReport | None = None


@dataclass
class ReplayPageDecoded(WorkEnded, bubble=False):
    """One page of a replayed session, decoded; `groups` and `pages` index the whole session."""

    page: int
    groups: list[list[int]] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)
    conversation: Conversation | None = None


@dataclass
class CurrentSessionRead(WorkEnded, bubble=False):
    """The session the app records into, read back once every queued turn is on disk."""

    session: Session | None = None


@dataclass
class RerunProgress(Message, bubble=False):
    """`done` of `total` turns re-run so far; a newer one replaces one not yet handled."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RerunProgress)


@dataclass
class RerunEnded(WorkEnded, bubble=False):
    """A replayed session re-run under the app's configuration, into the linked session `target`."""

    target: Session | None = None


@dataclass
class ExportEnded(WorkEnded, bubble=False):
    path: Path | None = None


@dataclass
class ComparisonReady(WorkEnded, bubble=False):
    comparison: SessionComparison | None = None


@dataclass
class ChoiceScored(WorkEnded, bubble=False):
    """The options typed in the choice modal, scored under each configuration compared, in order
    (`scored` holds what was scored before the error, if one stopped it)."""

    options: tuple[str, ...]
    scored: tuple[ScoredConfiguration, ...] = ()


@dataclass
class BatteryProgress(Message, bubble=False):
    """`done` of `total` evaluations of a battery run; a newer one replaces one not yet handled."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BatteryProgress)


@dataclass
class BatteryRunEnded(WorkEnded, bubble=False):
    """A battery run finished, was stopped (`stopped`) or failed (`error`); `folder` holds what is
    done (results.jsonl, summary.csv, report.html), `records` and `rows` read back from it.
    `fingerprint` is the run's identity as run.json holds it, for its journal record (None when
    the run failed before it had one)."""

    folder: Path | None = None
    records: list[dict] = field(default_factory=list)
    rows: list[SummaryRow] = field(default_factory=list)
    stopped: bool = False
    fingerprint: dict[str, Any] | None = None


@dataclass
class LiveCompareStarted(Message, bubble=False):
    """The compare screen's worker resolved the lanes and started `job` (its positions arrive in
    the job's buffer); `note` says what was left out (a configs file's fifth table); `others` are
    the models other than the loaded one its lanes run on, each in a worker of its own, with
    their files' sizes; `model` the loaded model as the engine said when it started (None: not
    loaded yet)."""

    job: CompareJob
    note: str = ""
    others: tuple[OtherModel, ...] = ()
    model: ModelInfo | None = None


@dataclass
class LiveCompareMeasured(Message, bubble=False):
    """The engine workers' resident memory, read once a comparison on another model decodes."""

    workers: tuple[WorkerMemory, ...]


@dataclass
class LiveCompareEnded(WorkEnded, bubble=False):
    """A live comparison ended: finished or stopped (`result`), or failed (`error`: the positions
    decided before it stay in the job's stream). `job` is None when it failed before it started
    (a configs file that does not load, a forced text with no tokens). `workers`: the engine
    workers' resident memory when it ended, read when a lane ran on another model."""

    job: CompareJob | None = None
    result: CompareResult | None = None
    workers: tuple[WorkerMemory, ...] = ()


@dataclass
class CompareThresholdsRead(WorkEnded, bubble=False):
    """The divergence thresholds of the config file's `[compare]` table, or why not."""

    thresholds: Thresholds | None = None


@dataclass
class ComparisonDecoded(WorkEnded, bubble=False):
    """A journaled comparison read back from its session line, for the read-only compare view."""

    record: ComparisonRecord | None = None
