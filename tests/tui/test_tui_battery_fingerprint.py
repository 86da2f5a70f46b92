"""The battery run's fingerprint travels on the BatteryRunEnded message, not through the screen:
the worker posts it, and the screen journals the fingerprint of the message it handles (so a
message is all the screen needs, and no worker thread writes to the screen)."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import settle

from sessions import Session, SessionStore
from sessions.batteries.summary import summarise
from tui import messages as m
from tui.screens.battery import BatteryScreen
from tui.session_recorder import NewSession

SIZE = (100, 30)
RECORDS = [{"key": "q/p0/o0", "battery": "b", "question": "q", "readout": "options",
            "configuration": {"name": "base", "group": "base"}, "values": {"Yes": 0.25, "No": 0.75}}]
FINGERPRINT = {"battery": "b", "battery_sha256": "cd" * 32, "configurations": [{"name": "base"}],
               "model_path": "/models/m.gguf"}


async def test_the_worker_posts_the_fingerprint_on_the_message(make_app, backend):
    ended: list[m.BatteryRunEnded] = []

    def hook(message) -> None:
        if isinstance(message, m.BatteryRunEnded):
            ended.append(message)

    app = make_app(load_on_start=False, session=NewSession(SessionStore()))
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        await pilot.press("enter")  # the highlighted battery: backdoor
        await settle(pilot)
        [event] = ended
        assert event.fingerprint is not None
        assert event.fingerprint["battery"] == "backdoor"
        assert event.fingerprint["model_path"] == backend.config.model_path
        app.recorder.wait()
        [run] = Session.open(app.recorder.session.path).battery_runs
        assert run.fingerprint == event.fingerprint


async def test_the_screen_journals_the_fingerprint_of_the_message_it_handles(make_app):
    app = make_app(load_on_start=False, session=NewSession(SessionStore()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BatteryScreen)
        screen.post_message(m.BatteryRunEnded(Path("/runs/b-1"), RECORDS, summarise(RECORDS), True,
                                              FINGERPRINT))  # no run on this screen: only the message
        await settle(pilot)
        assert "journaled in the session" in str(screen.query_one("#battery-status").render())
        app.recorder.wait()
        [run] = Session.open(app.recorder.session.path).battery_runs
        assert run.fingerprint == FINGERPRINT and run.battery == "b" and run.status == "stopped"
        assert list(run.records) == RECORDS


async def test_a_run_that_ended_without_a_fingerprint_is_not_journaled(make_app):
    app = make_app(load_on_start=False, session=NewSession(SessionStore()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        screen = app.screen
        screen.post_message(m.BatteryRunEnded(Path("/runs/b-1"), [], [], False, None,
                                              error=ValueError("no such battery")))
        await settle(pilot)
        status = str(screen.query_one("#battery-status").render())
        assert "The run failed: no such battery" in status and "journaled" not in status
        assert app.recorder.session is None  # nothing was written, so no session was created
