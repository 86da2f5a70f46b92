"""The battery screen (ctrl+b): pick a battery and the configurations, run it, read it.

The battery is a shipped one (the list) or a battery file typed below it, as `battery run` takes.

Configurations are the main screen's ("current": its system prompt and adapters), "base" (the
same system prompt, no adapters), or the tables of a configs TOML file (docs/batteries.md). The
run is sessions.batteries' runner in a thread worker, writing what the CLI's `battery run`
writes (results.jsonl, run.json, summary.csv, report.html, through the CLI's own write_outputs)
to `<data dir>/batteries/<battery>-<time>/`, with a progress bar; Escape stops it after the
evaluation in flight (what is done is kept and summarised). The table then shows every summary
row (question x measure x configuration) as a bar with its 95% interval; Enter on a row opens
its records: the exact prompt and the per-token numbers of each answer. The runner switches the
engine's adapters, so the main screen's set is put back when the run ends. Each run that ends
(finished, stopped or failed) is journaled in the app's session as one battery record, so replay
shows it again without the folder (tui/screens/battery_run_view.py).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Checkbox, DataTable, Footer, Input, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from engine.backend import Backend
from engine.types import AdapterSpec, SystemPrompt
from sessions import new_battery_run
from sessions.batteries import Battery, BatteryError, load_battery, shipped_batteries
from sessions.batteries.configs import Configuration
from sessions.batteries.results import RESULTS_FILE, ResultsWriter, read_results
from sessions.batteries.runner import RunSettings, fingerprint, plan, run_battery
from sessions.batteries.summary import summarise

from .. import messages as m
from ..battery_model import battery_configurations, chart_rows, run_folder
from ..turn_config import adapters_label, system_label
from ..widgets.battery_table import BatteryTable
from .battery_records import records_modal


class RunStopped(Exception):
    """Raised from the runner's progress callback when the user stops the run."""


def _resolve_adapter(text: str) -> AdapterSpec:
    from adapters.library import parse_adapter  # the CLI's resolver: names from the adapter library

    return parse_adapter(text)


class BatteryScreen(Screen[None]):
    BINDINGS = [
        Binding("f5", "run", "Run", id="battery_run", tooltip="Run the highlighted battery"),
        Binding("escape", "back", "Stop / back", id="battery_back",
                tooltip="Stop the run after the evaluation in flight; otherwise back to the chat"),
    ]

    def __init__(self, backend: Backend, system: SystemPrompt, adapters: tuple[AdapterSpec, ...],
                 data: Path) -> None:
        super().__init__()
        self.backend, self.system, self.adapters, self.data = backend, system, adapters, data
        self.batteries: dict[str, Battery] = {b.name: b for b in shipped_batteries()}
        self.running = False
        self.folder: Path | None = None
        self.records: list[dict] = []
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        with Horizontal(id="battery-top"):
            with Vertical(id="battery-pick"):
                yield Label("battery (Enter or F5 runs)")
                yield OptionList(*(Option(f"{b.name} ({len(b.questions)} questions)", id=b.name)
                                   for b in self.batteries.values()), id="battery-list")
                yield Input(placeholder="or a battery file (.yaml)", id="battery-file", compact=True)
            with Vertical(id="battery-options"):
                yield Label("configurations")
                yield Checkbox(f"current: {adapters_label(self.adapters)} · {system_label(self.system)}",
                               True, id="battery-current", compact=True)
                yield Checkbox("base: no adapters", any(a.scale != 0 for a in self.adapters),
                               id="battery-base", compact=True)
                yield Input(placeholder="or a configs TOML file (replaces both)", id="battery-configs",
                            compact=True)
                yield Checkbox("permute every option question", False, id="battery-permute", compact=True)
                yield Static(id="battery-about")
        yield ProgressBar(total=None, show_eta=True, id="battery-progress")
        yield Static(id="battery-status")
        yield BatteryTable(id="battery-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#battery-progress").display = False
        options = self.query_one("#battery-list", OptionList)
        options.highlighted = 0
        options.focus()
        self._describe()

    def _status(self, text: str) -> None:
        self.query_one("#battery-status", Static).update(Content(text))

    def _battery(self) -> Battery | None:
        """The battery file typed (BatteryError if it does not load), else the highlighted one."""
        path = self.query_one("#battery-file", Input).value.strip()
        if path:
            return load_battery(Path(path).expanduser())
        options = self.query_one("#battery-list", OptionList)
        if options.highlighted is None:
            return None
        return self.batteries.get(options.get_option_at_index(options.highlighted).id or "")

    def _configurations(self) -> tuple[Configuration, ...]:
        return battery_configurations(
            self.system, self.adapters, self.query_one("#battery-current", Checkbox).value,
            self.query_one("#battery-base", Checkbox).value, self.query_one("#battery-configs", Input).value,
            _resolve_adapter)

    def _settings(self) -> RunSettings:
        return RunSettings(permute=True if self.query_one("#battery-permute", Checkbox).value else None)

    @on(OptionList.OptionHighlighted)
    @on(Checkbox.Changed)
    @on(Input.Changed, "#battery-file")
    def _describe(self) -> None:
        try:
            battery = self._battery()
        except BatteryError as exc:
            self.query_one("#battery-about", Static).update(Content(exc.msg))
            return
        if battery is None:
            return
        about = [battery.description]
        if not self.query_one("#battery-configs", Input).value.strip():
            try:
                configs = self._configurations()
            except ValueError as exc:
                about.append(str(exc))
            else:
                about.append(f"{len(plan(battery, configs, self._settings()))} evaluations under "
                             f"{len(configs)} configuration{'s' if len(configs) != 1 else ''}")
        self.query_one("#battery-about", Static).update(Content("\n".join(about)))

    # ----- running ------------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#battery-list")
    @on(Input.Submitted, "#battery-configs")
    @on(Input.Submitted, "#battery-file")
    def action_run(self) -> None:
        if self.running:
            self._status("A run is under way: Esc stops it.")
            return
        try:
            battery = self._battery()
            if battery is None:
                return
            configs = self._configurations()
        except (ValueError, BatteryError) as exc:
            self._status(getattr(exc, "msg", None) or str(exc))
            return
        self.running = True
        self._stop.clear()
        self.folder = run_folder(self.data, battery.name)
        bar = self.query_one("#battery-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._status(f"running {battery.name} under {', '.join(c.name for c in configs)} → {self.folder}")
        self.run_worker_thread(battery, configs, self._settings(), self.folder)

    def _progress(self, done: int, total: int) -> None:
        """The runner's callback, before each evaluation (on the worker's thread)."""
        if self._stop.is_set():
            raise RunStopped
        self.post_message(m.BatteryProgress(done, total))

    @work(thread=True, exclusive=True, exit_on_error=False, group="battery")
    def run_worker_thread(self, battery: Battery, configs: tuple[Configuration, ...], settings: RunSettings,
                          folder: Path) -> None:
        from ..cli.battery import write_outputs  # the CLI's summary.csv + report.html
        from ..cli.jsonout import to_jsonable

        stopped = False
        identity_json: dict[str, Any] | None = None  # for the journal, on the message that ends the run
        try:
            identity = fingerprint(battery, configs, settings, self.backend.config.model_path)
            identity_json = to_jsonable(identity)
            writer = ResultsWriter(folder, identity, to_jsonable)
            tasks = plan(battery, configs, settings)
            try:
                run_battery(self.backend, tasks, writer, settings, self._progress)
            except RunStopped:
                stopped = True
            finally:  # what is done is summarised, also after an error; the chat's adapters come back
                write_outputs(str(folder), battery.name)
                self.backend.set_adapters(self.adapters)
            records = read_results(folder / RESULTS_FILE)
        except Exception as exc:
            records = read_results(folder / RESULTS_FILE) if (folder / RESULTS_FILE).exists() else []
            self.post_message(m.BatteryRunEnded(folder, records, summarise(records), stopped, identity_json,
                                                error=exc))
        else:
            self.post_message(m.BatteryRunEnded(folder, records, summarise(records), stopped, identity_json))

    def on_battery_progress(self, event: m.BatteryProgress) -> None:
        self.query_one("#battery-progress", ProgressBar).update(total=max(event.total, 1), progress=event.done)

    def on_battery_run_ended(self, event: m.BatteryRunEnded) -> None:
        self.running = False
        self.query_one("#battery-progress").display = False
        self.records = event.records
        self.query_one(BatteryTable).show(chart_rows(event.rows, event.records))
        done = f"{len(event.records)} records, {len(event.rows)} summary rows in {event.folder}"
        if self._journal(event):
            done += ", journaled in the session"
        if event.error is not None:
            self._status(f"The run failed: {getattr(event.error, 'msg', None) or event.error} ({done})")
        elif event.stopped:
            self._status(f"Stopped: {done}")
        else:
            self._status(f"Done: {done} (results.jsonl, summary.csv, report.html). Enter on a row: its records")
        if event.rows:
            self.query_one(BatteryTable).focus()

    def _journal(self, event: m.BatteryRunEnded) -> bool:
        """Queue the run into the app's session (the recorder writes it on its thread), whatever
        ended it; False when the app records no session or the run failed before it began."""
        recorder = getattr(self.app, "recorder", None)
        if recorder is None or event.fingerprint is None or event.folder is None:
            return False
        error = "" if event.error is None else getattr(event.error, "msg", None) or str(event.error)
        recorder.record_battery(new_battery_run(event.fingerprint, str(event.folder), event.records, event.rows,
                                                stopped=event.stopped, error=error))
        return True

    # ----- reading ------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#battery-table")
    def show_records(self) -> None:
        chart = self.query_one(BatteryTable).chart_row()
        if chart is not None:
            self.app.push_screen(records_modal(chart, self.records, f"{self.folder}/{RESULTS_FILE}"))

    def action_back(self) -> None:
        if self.running:
            self._stop.set()
            self._status("Stopping after the evaluation in flight…")
            return
        self.dismiss(None)
