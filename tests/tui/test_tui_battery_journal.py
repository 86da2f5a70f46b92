"""Battery runs journaled in the TUI's session and replayed without a model: the recorder writes
one battery line (creating the session then), a failed write is a notification, a run from the
battery screen (finished, stopped or failed) lands in the session with its fingerprint, summary
and records, and replay (b) opens it: the same rows, and a row's records, with the run folder
gone and no backend call."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from pilot_helpers import settle

from engine.errors import EngineError
from sessions import Session, SessionStore, new_battery_run
from sessions.batteries.results import read_results
from sessions.batteries.summary import summarise
from tui.battery_model import record_text
from tui.screens.battery import BatteryScreen
from tui.screens.battery_run_view import BatteryRunScreen, BatteryRunsModal
from tui.screens.replay import ReplayScreen
from tui.screens.session_browser import SessionBrowser
from tui.screens.text_modal import TextModal
from tui.session_recorder import NewSession, SessionRecorder
from tui.widgets.battery_table import BatteryTable

SIZE = (100, 30)
RECORDS = [{"key": "q/p0/o0", "battery": "b", "question": "q", "readout": "options",
            "configuration": {"name": "base", "group": "base"}, "values": {"Yes": 0.25, "No": 0.75}}]
FINGERPRINT = {"battery": "b", "battery_sha256": "cd" * 32, "configurations": [{"name": "base"}],
               "model_path": "/m.gguf"}


def run_of(records=RECORDS, **kwargs):
    return new_battery_run(FINGERPRINT, "/runs/b-1", records, summarise(records), **kwargs)


def test_the_recorder_writes_one_battery_line_creating_the_session(isolated_dirs):
    created: list[Session] = []
    recorder = SessionRecorder(NewSession(SessionStore(), "batteries"), on_created=created.append)
    assert recorder.session is None
    run = run_of(stopped=True)
    assert recorder.record_battery(run).result(10) == run.id
    recorder.close()
    [session] = created
    lines = session.path.read_bytes().splitlines()
    assert len(lines) == 2 and lines[1].startswith(b'{"type":"battery"')
    saved = Session.open(session.path)
    assert saved.name == "batteries" and len(saved.turns) == 0 and saved.battery_runs[0] == run


def test_a_failed_battery_write_is_reported(isolated_dirs):
    session = SessionStore().create("doomed")
    errors: list[str] = []
    recorder = SessionRecorder(session, on_error=errors.append)
    session.path.unlink()
    assert recorder.record_battery(run_of()).result(10) is None
    recorder.close()
    assert errors and "Could not journal the battery run to session 'doomed'" in errors[0]


def journaled(app) -> Session:
    app.recorder.wait()
    return Session.open(app.recorder.session.path)


async def test_a_run_lands_in_the_session_and_replays_without_its_folder_or_a_model(make_app, backend,
                                                                                  isolated_dirs):
    app = make_app(load_on_start=False, session=NewSession(SessionStore()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        await pilot.press("enter")  # the highlighted battery: backdoor
        await settle(pilot)
        assert "journaled in the session" in str(app.screen.query_one("#battery-status").render())
        [folder] = (isolated_dirs / "data" / "batteries").iterdir()
        records = read_results(folder / "results.jsonl")
        saved = journaled(app)
        assert len(saved.turns) == 0 and len(saved.battery_runs) == 1
        run = saved.battery_runs[0]
        assert list(run.records) == records and list(run.summary) == summarise(records)
        assert run.battery == "backdoor" and run.folder == str(folder) and run.status == "finished"
        assert run.fingerprint["model_path"] == backend.config.model_path
        assert run.battery_sha256 and [c["name"] for c in run.fingerprint["configurations"]] == ["current"]
        await pilot.press("escape")
        await settle(pilot)

        shutil.rmtree(folder)  # replay needs neither the run folder ...
        used: list = []
        backend.choose = used.append  # ... nor the model
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SessionBrowser)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReplayScreen)
        assert "1 battery run (b)" in str(app.screen.query_one("#status").render())
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BatteryRunsModal)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BatteryRunScreen)
        about = str(app.screen.query_one("#battery-status").render())
        assert f"battery backdoor: {len(records)} records under current; finished" in about
        table = app.screen.query_one(BatteryTable)
        rows = summarise(records)
        assert table.row_count == len(rows)
        for n, row in enumerate(rows):
            assert str(table.get_cell(str(n), "mean")) == f"{row.estimate.mean:.3f}"
            assert str(table.get_cell(str(n), "n")) == str(row.estimate.n)
        await pilot.press("down", "enter")  # the second row's records
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        second = next(r for r in records if r["question"] == rows[1].question
                      and r["configuration"]["group"] == rows[1].configuration)
        assert app.screen.body.startswith(record_text(second))
        assert second["provenance"]["rendered_prompt"] in app.screen.body
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ReplayScreen)
        assert used == [] and backend.calls == 0


async def test_stopped_and_failed_runs_are_journaled_too(make_app, backend, isolated_dirs, monkeypatch):
    import tui.screens.battery

    numbers = iter(range(10))
    monkeypatch.setattr(tui.screens.battery, "run_folder",
                        lambda data, name: data / "batteries" / f"{name}-{next(numbers)}")
    gate, calls = threading.Event(), []
    choose = backend.choose

    def slow_choose(request):
        calls.append(request)
        if len(calls) == 2:
            gate.wait(10)
        return choose(request)

    backend.choose = slow_choose
    app = make_app(load_on_start=False, session=NewSession(SessionStore()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert isinstance(app.screen, BatteryScreen)
        await pilot.press("enter")
        for _ in range(100):
            if len(calls) >= 2:
                break
            await pilot.pause(0.02)
        await pilot.press("escape")
        gate.set()
        await settle(pilot)
        backend.fail_next = EngineError("The worker is gone.")
        await pilot.press("f5")
        await settle(pilot)
        stopped, failed = journaled(app).battery_runs
        assert stopped.status == "stopped" and len(stopped.records) == 2
        assert failed.status == "failed: The worker is gone." and failed.records == ()
        assert [Path(r.folder).name for r in (stopped, failed)] == ["backdoor-0", "backdoor-1"]
