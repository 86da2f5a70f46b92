"""A journaled battery run, replayed from its session: the battery screen's results, read-only.

Replay (`b`) lists a session's battery runs (BatteryRunsModal); the one picked opens here with
the battery screen's own pieces: the BatteryTable of summary rows with their 95% intervals, drawn
on battery_model.chart_rows' axes, and Enter on a row opens its records (battery_records.py).
Everything comes from the session's battery record (its summary rows and its copy of the
results records), so it needs neither the run folder nor a model. The record's results are
parsed in a thread worker: a long run's records are megabytes of JSON.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from sessions import BatteryRun, Session

from ..battery_model import chart_rows
from ..widgets.battery_table import BatteryTable
from .battery_records import records_modal


class BatteryRunsModal(ModalScreen[int | None]):
    """The session's battery runs, one line each (from their heads: no records parsed); Enter
    answers the index of the one to open, Escape None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="battery_runs_cancel")]

    def __init__(self, session: Session) -> None:
        super().__init__(classes="small-modal")
        self.session = session

    def compose(self) -> ComposeResult:
        runs = self.session.battery_runs
        with Vertical(id="small-modal-box") as box:
            box.border_title = "Battery runs"
            yield Static("Enter opens a run's results (read-only, no model needed); Escape goes back.")
            yield OptionList(*(Option(Content(f"{ended(str(runs.entry(n).meta.get('created', '')))}  "
                                              f"{runs.describe(n)}"), id=str(n)) for n in range(len(runs))),
                             id="battery-runs-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    @on(OptionList.OptionSelected, "#battery-runs-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_cancel(self) -> None:
        self.dismiss(None)


def ended(created: str) -> str:
    """An ISO 8601 time as the screens show it: "2026-11-22 00:12:10"."""
    return created[:19].replace("T", " ")


def about(run: BatteryRun, session: Session) -> str:
    """The run's header: what ran, under what, when it ended, and where its files were."""
    model = Path(str(run.fingerprint.get("model_path") or "-")).name
    sha = f" (sha256 {run.battery_sha256[:12]})" if run.battery_sha256 else ""
    return (f"{run.describe()}\n"
            f"battery{sha} · model {model} · ended {ended(run.created)} · run folder {run.folder}\n"
            f"replayed from session {session.name}, read-only. Enter on a row: its records")


class BatteryRunScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "close", "Back", id="battery_run_close")]

    def __init__(self, session: Session, index: int) -> None:
        super().__init__()
        self.session, self.index = session, index
        self.run: BatteryRun | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content(f"reading {self.session.battery_runs.describe(self.index)}…"), id="battery-status")
        yield BatteryTable(id="battery-table")
        yield Footer()

    def on_mount(self) -> None:
        self.decode_run()

    @work(thread=True, exclusive=True, exit_on_error=False, group="battery-run")
    def decode_run(self) -> BatteryRun:
        return self.session.battery_runs[self.index]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "battery-run":
            return
        if event.state is WorkerState.SUCCESS and isinstance(event.worker.result, BatteryRun):
            self.show(event.worker.result)
        elif event.state is WorkerState.ERROR:  # a record the journal's checks let through
            error = event.worker.error
            self.query_one("#battery-status", Static).update(Content(f"Could not read the battery run: {error}"))
            self.notify(str(error), title="Battery run", severity="error", markup=False)

    def show(self, run: BatteryRun) -> None:
        self.run = run
        self.query_one("#battery-status", Static).update(Content(about(run, self.session)))
        table = self.query_one(BatteryTable)
        table.show(chart_rows(run.summary, run.records))
        if run.summary:
            table.focus()

    @on(DataTable.RowSelected, "#battery-table")
    def show_records(self) -> None:
        chart = self.query_one(BatteryTable).chart_row()
        if chart is not None and self.run is not None:
            source = f"session {self.session.name} (its copy of {self.run.folder}/results.jsonl)"
            self.app.push_screen(records_modal(chart, self.run.records, source))

    def action_close(self) -> None:
        self.dismiss(None)
