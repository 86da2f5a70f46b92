"""Compare, live (ctrl+l): one prompt under 2-4 configurations, streamed side by side.

The prompt is the main screen's question (the message box's text, else the selected turn's user
message with its history), as the forced-choice modal takes it. The lanes are presets (current:
the main screen's system prompt and adapters; base: no adapters; no system prompt; empty system
prompt) or a configs TOML file's tables, sampling as the main screen's unless a table sets its
own, one seed for all. `Backend.compare` decodes them in lockstep on the loaded model
(engine/compare/) in a thread worker whose positions a ~30 Hz timer drains (tui/compare_stream.py).

Per position the strip shows how far apart the lanes' distributions are (JS against the config's
`[compare]` thresholds) and where the chosen tokens differ; the first difference is underlined in
every lane; a line per pair sums it up. The cursor (← →, Home/End, n/p or shift+← →: the
next/previous divergent position, f: the first difference) drives the inspector: every lane's top-k there, aligned by
token. Teacher-forced, every lane is scored on the same tokens: F3 cycles the lane whose answer
they are (off -> lane 1 -> lane 2 -> ... -> off), and a text typed in "or force a text" forces
every lane onto that text's tokens instead (Enter or F5). A configs table's `model` runs its lane
on another model, in a worker of its own: a line says what that costs (the model file's size,
then each worker's measured resident memory), and closing the screen stops those workers (on a
thread: it can take ~2 s). Every comparison that ends, finished, stopped or ended by an engine
error (what it decided, sessions/comparisons.py failed_comparison), is journaled
(SessionRecorder.record_comparison); replay's `v` opens one read-only here, from the journal
alone (`LiveCompareScreen.replaying`).
"""

from __future__ import annotations

import threading

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Checkbox, Footer, Input, Static

from engine.backend import Backend
from engine.compare import CompareLane, CompareRequest, CompareResult
from engine.errors import EngineError
from engine.process_memory import WorkerMemory
from engine.types import AdapterSpec, Message, ModelInfo, SamplingSettings, SystemPrompt
from sessions import Session
from sessions.batteries.errors import BatteryError
from sessions.comparisons import failed_comparison, new_comparison
from sessions.partial import error_note

from .. import messages as m
from ..choice_model import ChoiceQuestion
from ..compare_model import (
    PAIR_LEGEND,
    PRESETS,
    LiveComparison,
    OtherModel,
    Thresholds,
    configs_lanes,
    cost_line,
    default_presets,
    forced_label,
    lane_label,
    load_thresholds,
    memory_line,
    next_forced,
    other_models,
    preset_lanes,
    shared_sampling,
)
from ..compare_stream import CompareJob
from ..config import Settings
from ..streaming import FRAME_S
from ..widgets.compare_inspector import CompareInspector
from ..widgets.compare_lanes import GLYPHS, DivergenceStrip, LaneColumn
from .choice import question_header
from .text_modal import ErrorModal

_LIVE_ONLY = {"run", "toggle_forced"}


class CompareSetupError(ValueError):
    """What was asked cannot be compared: fewer than two lanes, a forced text without tokens, a
    forced lane that is no longer there."""


def _resolve_adapter(text: str) -> AdapterSpec:
    from adapters.library import parse_adapter  # the CLI's resolver: names from the adapter library

    return parse_adapter(text)


class LiveCompareScreen(Screen[None]):
    BINDINGS = [
        Binding("f5", "run", "Run", id="live_compare_run", tooltip="Compare again with the lanes ticked"),
        Binding("f3", "toggle_forced", "Forced", id="live_compare_forced",
                tooltip="Teacher-forced on a lane's answer: off, lane 1, lane 2, ... (each press compares again)"),
        Binding("left", "cursor(-1)", "Previous position", id="live_compare_left", show=False),
        Binding("right", "cursor(1)", "Next position", id="live_compare_right", show=False),
        Binding("home", "cursor_edge(0)", "First position", id="live_compare_home", show=False),
        Binding("end", "cursor_edge(1)", "Last position", id="live_compare_end", show=False),
        # n/p, and shift+arrows as the chat's jump keys: the criterion here is "two lanes diverge"
        Binding("n,shift+right", "jump(1)", "Next divergence", id="live_compare_next",
                tooltip="The next position where two lanes diverge (JS above the threshold, or tokens differ)"),
        Binding("p,shift+left", "jump(-1)", "Prev divergence", id="live_compare_prev"),
        Binding("f", "first_difference", "First difference", id="live_compare_first"),
        Binding("escape", "back", "Stop / back", id="live_compare_back",
                tooltip="Stop the comparison (what is done is kept and journaled); otherwise back"),
    ]

    def __init__(self, backend: Backend | None, question: ChoiceQuestion, settings: Settings | None = None, *,
                 system: SystemPrompt = SystemPrompt(), adapters: tuple[AdapterSpec, ...] = (),
                 sampling: SamplingSettings = SamplingSettings(temperature=0.0), max_tokens: int = 128,
                 top_k_probs: int = 10, presets: tuple[str, ...] | None = None,
                 lanes: tuple[CompareLane, ...] | None = None, forced: bool = False) -> None:
        """`lanes`, when given, are compared as they are (the presets and the configs file are not
        offered); otherwise `presets` (default: current and the most telling other one). `forced`:
        start teacher-forced on lane 1's answer."""
        super().__init__()
        self.backend, self.question, self.settings = backend, question, settings or Settings()
        self.system, self.adapters, self.max_tokens, self.top_k_probs = system, adapters, max_tokens, top_k_probs
        self.sampling = shared_sampling(sampling)
        self.presets = presets if presets is not None else default_presets(system, adapters)
        self.fixed_lanes = lanes
        self.forced_lane: int | None = 0 if forced else None
        """The lane whose answer every lane is scored on (an index), None: sampled."""
        self.others: tuple[OtherModel, ...] = ()
        """The models other than the loaded one the lanes run on (each a worker of its own)."""
        self.memory: tuple[WorkerMemory, ...] = ()
        """The engine workers' resident memory, last measured."""
        self.measured = False  # this comparison's workers were measured once it decoded
        self.job_model: ModelInfo | None = None  # the loaded model the comparison runs on, for a failed one's record
        self.idle = threading.Event()  # no comparison thread is running (set: idle)
        self.idle.set()
        self.releasing: threading.Thread | None = None  # the thread stopping the extra workers
        self.thresholds = Thresholds()
        self.comparison: LiveComparison | None = None
        self.lanes: tuple[CompareLane, ...] = ()
        self.job: CompareJob | None = None
        self.starting = False
        self.cursor: int | None = None
        self.follow = True
        self.read_only: tuple[Session, int] | None = None
        self.timer: Timer | None = None

    @classmethod
    def replaying(cls, session: Session, index: int, settings: Settings | None = None) -> LiveCompareScreen:
        """Session `session`'s comparison `index`, read-only: decoded from the journal, no model."""
        screen = cls(None, ChoiceQuestion("", source="the journal"), settings)
        screen.read_only = (session, index)
        return screen

    def compose(self) -> ComposeResult:
        yield Static(question_header(self.question), id="lc-question")
        with Horizontal(id="lc-setup"):
            for key, label in PRESETS.items():
                yield Checkbox(label, key in self.presets, id=f"lc-preset-{key}", compact=True)
            yield Input(placeholder="or a configs TOML file", id="lc-configs", compact=True,
                        tooltip="Its first four tables replace the ticked presets; Enter or F5 compares")
        with Horizontal(id="lc-forcing"):
            yield Checkbox(forced_label(self._forced_name()), self.forced_lane is not None, id="lc-forced",
                           compact=True, tooltip="Teacher-forced: every lane scored on one lane's answer "
                                                 "(F3 cycles which)")
            yield Input(placeholder="or force a text", id="lc-forced-text", compact=True,
                        tooltip="Every lane scored on this text's tokens (it wins over F3's lane); "
                                "Enter or F5 compares")
        yield Static(id="lc-status")
        yield Static(id="lc-workers")
        yield Horizontal(id="lc-lanes")
        yield DivergenceStrip(id="lc-strip")
        yield Static(id="lc-summary")
        yield CompareInspector(id="lc-inspector")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        strip = self.query_one(DivergenceStrip)
        strip.can_focus = True  # the cursor's home: its keys are the screen's, no widget takes them
        strip.focus()
        self.timer = self.set_interval(FRAME_S, self.drain, pause=True)
        if self.settings.source:
            self.read_thresholds(self.settings.source)
        self.query_one("#lc-workers").display = False
        if self.read_only is not None:
            self.query_one("#lc-setup").display = False
            self.query_one("#lc-forcing").display = False
            session, index = self.read_only
            self._status(f"reading {session.comparisons.describe(index)}…")
            self.decode_record(session, index)
            return
        if self.fixed_lanes is not None:
            self.query_one("#lc-setup").display = False
        self.action_run()

    def _status(self, text: str) -> None:
        self.query_one("#lc-status", Static).update(Content(text))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Replay's copy is read-only: no run, no forced toggle."""
        if action in _LIVE_ONLY and self.read_only is not None:
            return False
        return True

    # ----- thresholds and replayed records, off the UI thread -----------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare-thresholds")
    def read_thresholds(self, source: str) -> None:
        try:
            self.post_message(m.CompareThresholdsRead(load_thresholds(source)))
        except Exception as exc:
            self.post_message(m.CompareThresholdsRead(error=exc))

    def on_compare_thresholds_read(self, event: m.CompareThresholdsRead) -> None:
        if event.thresholds is None:
            self.notify(str(getattr(event.error, "msg", None) or event.error), title="Compare thresholds",
                        severity="error", markup=False)
            return
        self.thresholds = event.thresholds
        self.render_comparison()

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare-record")
    def decode_record(self, session: Session, index: int) -> None:
        try:
            self.post_message(m.ComparisonDecoded(session.comparisons[index]))
        except Exception as exc:  # a record damaged in a way the journal's checks let through
            self.post_message(m.ComparisonDecoded(error=exc))

    async def on_comparison_decoded(self, event: m.ComparisonDecoded) -> None:
        record = event.record
        if record is None:
            self._status(f"Could not read the comparison: {event.error}")
            return
        messages = record.request.messages
        user = next((msg for msg in reversed(messages) if msg.role == "user"), Message("user", ""))
        self.question = ChoiceQuestion(user.content, messages[:-1], "journaled")
        self.query_one("#lc-question", Static).update(question_header(self.question))
        await self._lay_out(record.request.lanes)
        self.comparison = LiveComparison.finished(record.names, record.steps, record.result)
        self.cursor, self.follow = (0 if record.steps else None), False
        assert self.read_only is not None
        self._status(f"{record.describe()} · ended {record.created[:19].replace('T', ' ')} · replayed from "
                     f"session {self.read_only[0].name}, read-only")
        self.render_comparison()

    # ----- running ------------------------------------------------------------------------------

    def action_run(self) -> None:
        if self.read_only is not None or self.backend is None:
            return
        if self.job is not None or self.starting:
            self._status("A comparison is running: Esc stops it.")
            return
        presets = tuple(key for key in PRESETS if self.query_one(f"#lc-preset-{key}", Checkbox).value)
        path = self.query_one("#lc-configs", Input).value.strip() if self.fixed_lanes is None else ""
        text = self.query_one("#lc-forced-text", Input).value
        self.starting = True
        self.idle.clear()
        self._status("starting…")
        self.run_compare(presets, path, self.forced_lane, text)

    @on(Input.Submitted, "#lc-configs, #lc-forced-text")
    def _submitted(self) -> None:
        self.action_run()

    def _forced_name(self) -> str:
        """The name of the lane forced on ("" when sampled): from the lanes laid out, else its number."""
        if self.forced_lane is None:
            return ""
        if self.forced_lane < len(self.lanes):
            return self.lanes[self.forced_lane].name
        return f"lane {self.forced_lane + 1}"

    def _show_forced(self) -> None:
        box = self.query_one("#lc-forced", Checkbox)
        with box.prevent(Checkbox.Changed):
            box.value = self.forced_lane is not None
        box.label = forced_label(self._forced_name())

    @on(Checkbox.Changed, "#lc-forced")
    def _forced_ticked(self, event: Checkbox.Changed) -> None:
        """Ticked by hand: forced on lane 1's answer; unticked: sampled."""
        self.forced_lane = (self.forced_lane if self.forced_lane is not None else 0) if event.value else None
        self._show_forced()

    def _lanes(self, presets: tuple[str, ...], path: str) -> tuple[tuple[CompareLane, ...], str]:
        """The lanes to compare and a note (reads a configs file: on the worker's thread)."""
        note = ""
        if self.fixed_lanes is not None:
            lanes = self.fixed_lanes
        elif path:
            lanes, note = configs_lanes(path, self.sampling, _resolve_adapter)
        else:
            lanes = preset_lanes(presets, self.system, self.adapters, self.sampling)
        if len(lanes) < 2:
            raise CompareSetupError("Tick at least two configurations (or give a configs file with two or more).")
        return lanes, note

    def _forcing(self, lanes: tuple[CompareLane, ...], forced_lane: int | None,
                 text: str) -> tuple[tuple[int, ...], str]:
        """The request's forced_ids and forced_from: a text's tokens (tokenized by the engine: on
        the worker's thread), else the lane F3 chose, else neither."""
        assert self.backend is not None
        if text:
            ids = tuple(self.backend.tokenize(text))
            if not ids:
                raise CompareSetupError(f"The text to force on ({text!r}) has no tokens: there is nothing to "
                                        "score the lanes on. Type another, or clear it to compare sampled.")
            return ids, ""
        if forced_lane is None:
            return (), ""
        if forced_lane >= len(lanes):
            raise CompareSetupError(f"Forced on lane {forced_lane + 1}'s answer, but there are {len(lanes)} lanes "
                                    "now: F3 chooses another.")
        return (), lanes[forced_lane].name

    def _read_workers(self) -> tuple[WorkerMemory, ...]:
        """The workers' resident memory (reads /proc: on a worker's thread); () when it cannot be read."""
        assert self.backend is not None
        try:
            return tuple(self.backend.worker_memory())
        except (EngineError, OSError):
            return ()

    @work(thread=True, exclusive=True, exit_on_error=False, group="live-compare")
    def run_compare(self, presets: tuple[str, ...], path: str, forced_lane: int | None, text: str) -> None:
        assert self.backend is not None
        job = None
        others: tuple[OtherModel, ...] = ()
        try:
            lanes, note = self._lanes(presets, path)
            forced_ids, forced_from = self._forcing(lanes, forced_lane, text)
            request = CompareRequest(self.question.messages, lanes, self.max_tokens, self.top_k_probs,
                                     forced_ids=forced_ids, forced_from=forced_from)
            others = other_models(lanes, self.backend.config.model_path)
            job = CompareJob(self.backend, request)
            # the model now, before a worker that dies forgets it (a failed comparison's record names it)
            self.post_message(m.LiveCompareStarted(job, note, others, self.backend.info))
            result = job.run()
        except Exception as exc:
            self.post_message(m.LiveCompareEnded(job, error=exc, workers=self._read_workers() if others else ()))
        else:
            self.post_message(m.LiveCompareEnded(job, result, workers=self._read_workers() if others else ()))
        finally:
            self.idle.set()

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare-memory")
    def measure_workers(self) -> None:
        self.post_message(m.LiveCompareMeasured(self._read_workers()))

    def on_live_compare_measured(self, event: m.LiveCompareMeasured) -> None:
        if self.job is not None:  # a reading that lands after the end would be older than the end's
            self.memory = event.workers
            self._show_workers()

    def _show_workers(self) -> None:
        """The line on what a second model costs: shown only while lanes run on other models."""
        line = self.query_one("#lc-workers", Static)
        line.display = bool(self.others)
        if self.others:
            measured = memory_line(self.memory)
            line.update(Content(cost_line(self.others) + (f"\n{measured}" if measured else "")))

    async def _lay_out(self, lanes: tuple[CompareLane, ...]) -> None:
        """One column per lane (replacing the last comparison's)."""
        self.lanes = lanes
        row = self.query_one("#lc-lanes", Horizontal)
        await row.remove_children()
        loaded = self.backend.config.model_path if self.backend is not None else ""
        columns = [LaneColumn(n, Content(lane_label(lane, loaded))) for n, lane in enumerate(lanes)]
        for column in columns:
            column.can_focus = False  # the strip keeps the focus: ← → move the cursor, not the scroll
        await row.mount_all(columns)

    async def on_live_compare_started(self, event: m.LiveCompareStarted) -> None:
        self.starting = False
        self.job = event.job
        await self._lay_out(event.job.request.lanes)
        self.comparison = LiveComparison(tuple(lane.name for lane in event.job.request.lanes))
        self.cursor, self.follow = None, True
        self.others, self.memory, self.measured = event.others, (), False
        self.job_model = event.model
        self._show_workers()
        self._show_forced()
        self._status(f"comparing {len(self.lanes)} configurations{_forced_words(event.job.request)}… (Esc stops)"
                     + (f" · {event.note}" if event.note else ""))
        assert self.timer is not None
        self.timer.resume()

    def drain(self) -> None:
        if self.job is None or self.comparison is None:
            return
        steps = self.job.drain()
        if steps:
            if self.job_model is None and self.backend is not None:
                self.job_model = self.backend.info  # the model decoding: a worker that dies forgets it
            if self.others and not self.measured:  # the other models' workers are up: measure them
                self.measured = True
                self.measure_workers()
            self.comparison.add(steps)
            if self.follow:
                self.cursor = self.comparison.positions - 1
            self.render_comparison()

    def on_live_compare_ended(self, event: m.LiveCompareEnded) -> None:
        if event.job is not None and event.job is not self.job:
            return
        self.starting = False
        if self.timer is not None:
            self.timer.pause()
        if self.job is None:  # it never started: the lanes could not be compared
            self._report(event.error)
            return
        self.drain()
        job, self.job = self.job, None
        assert self.comparison is not None
        self.follow = False
        if event.workers:
            self.memory = event.workers
            self._show_workers()
        if event.result is not None:
            self.comparison.result = event.result
            journaled = self._journal(job, event.result)
            stopped = any(lane.finish_reason == "cancelled" for lane in event.result.lanes)
            self._status(f"{'Stopped' if stopped else 'Done'}: {self.comparison.positions} positions under "
                         f"{', '.join(self.comparison.names)}{_forced_words(job.request)}"
                         + (" · journaled in the session" if journaled else ""))
        else:
            journaled = self._journal_failed(job, event.error)
            self._report(event.error, f"The comparison failed after {self.comparison.positions} positions"
                                      f"{' (journaled in the session)' if journaled else ''}: ")
        self.render_comparison()

    def _journal(self, job: CompareJob, result: CompareResult, note: str = "") -> bool:
        """Queue the comparison into the app's session (the recorder writes it on its thread)."""
        recorder = getattr(self.app, "recorder", None)
        if recorder is None or self.comparison is None:
            return False
        recorder.record_comparison(new_comparison(job.request, self.comparison.steps, result, note=note))
        return True

    def _journal_failed(self, job: CompareJob, error: BaseException | None) -> bool:
        """What a comparison an error ended had decided, journaled with the error as its note and
        "error" for the lanes it cut off; nothing when no position was decided or the model is unknown."""
        if self.comparison is None or not self.comparison.steps or self.job_model is None or error is None:
            return False
        result = failed_comparison(job.request, self.comparison.steps, self.job_model)
        return self._journal(job, result, note=error_note(error))

    def _report(self, error: BaseException | None, prefix: str = "") -> None:
        if error is None:
            return
        if isinstance(error, (EngineError, BatteryError, ValueError, OSError)):
            self._status(prefix + str(getattr(error, "msg", None) or error))
        else:
            self._status(prefix + f"{type(error).__name__}: {error}")
            self.app.push_screen(ErrorModal.from_error(error))

    # ----- drawing ------------------------------------------------------------------------------

    def render_comparison(self) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        first = comparison.first_difference()
        for column in self.query(LaneColumn):
            column.show(comparison, self.cursor, first, self.follow)
        self.query_one(DivergenceStrip).show(comparison, self.thresholds, self.cursor)
        lines = comparison.summary_lines()
        first_text = "the chosen tokens never differ" if first is None else f"first difference at position {first}"
        legend = (f"{first_text} · strip: {GLYPHS[1]} JS > {self.thresholds.js:g}, {GLYPHS[2]} JS > "
                  f"{self.thresholds.js_strong:g}, {GLYPHS[3]} tokens differ")
        self.query_one("#lc-summary", Static).update(Content("\n".join([legend, PAIR_LEGEND, *lines])))
        self.query_one(CompareInspector).show(comparison, self.cursor)

    # ----- keys ---------------------------------------------------------------------------------

    def _move(self, position: int | None) -> None:
        if self.comparison is None or position is None or not self.comparison.positions:
            return
        self.cursor = max(0, min(position, self.comparison.positions - 1))
        self.follow = self.job is not None and self.cursor == self.comparison.positions - 1
        self.render_comparison()

    def action_cursor(self, delta: int) -> None:
        if self.comparison is not None and self.comparison.positions:
            here = self.cursor if self.cursor is not None else (-1 if delta > 0 else self.comparison.positions)
            self._move(here + delta)

    def action_cursor_edge(self, end: int) -> None:
        if self.comparison is not None:
            self._move(self.comparison.positions - 1 if end else 0)

    def action_jump(self, direction: int) -> None:
        if self.comparison is None:
            return
        here = self.cursor if self.cursor is not None else -1
        found = self.comparison.jump(here, direction, self.thresholds)
        if found is None:
            self.notify(f"No {'later' if direction > 0 else 'earlier'} position where the lanes diverge.", timeout=2)
        self._move(found)

    def action_first_difference(self) -> None:
        if self.comparison is None:
            return
        first = self.comparison.first_difference()
        if first is None:
            self.notify("The chosen tokens never differ.", timeout=2)
        self._move(first)

    def action_toggle_forced(self) -> None:
        """F3: the next lane to force on (off -> lane 1 -> ... -> off), then compare again."""
        if self.job is not None or self.starting:
            self._status("A comparison is running: Esc stops it, then F3.")
            return
        self.forced_lane = next_forced(self.forced_lane, len(self.lanes) or 2)
        self._show_forced()
        self.action_run()

    def action_back(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._status("Stopping…")
            return
        self.dismiss(None)

    def on_unmount(self) -> None:
        if self.job is not None:
            self.job.cancel()  # do not leave the engine comparing for nobody
        if self.backend is not None and self.read_only is None:
            self.releasing = release_extra_workers(self.backend, self.idle)


def release_extra_workers(backend: Backend, idle: threading.Event) -> threading.Thread:
    """Stop the workers a comparison on another model started, giving their memory back, once the
    comparison thread is done (a stopped one ends within a position). A plain thread, not a
    screen's worker: the screen is going away, and it posts nothing back; it can take ~2 s."""
    def release() -> None:
        idle.wait(10)
        try:
            backend.release_extra_workers()
        except EngineError:
            pass  # a worker that cannot be stopped cleanly is killed by the engine's close anyway

    thread = threading.Thread(target=release, name="logitscope-release-workers", daemon=True)
    thread.start()
    return thread


def _forced_words(request: CompareRequest) -> str:
    """`, teacher-forced on base's answer` / `on the given text (5 tokens)`; "" when sampled."""
    if request.forced_from:
        return f", teacher-forced on {request.forced_from}'s answer"
    if request.forced_ids:
        return f", teacher-forced on the given text ({len(request.forced_ids)} tokens)"
    return ""
