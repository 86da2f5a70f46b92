"""Snapshot of a journaled battery run replayed from its session (replay, b, Enter): the shipped
`backdoor` battery run on the scripted fake backend under an adapter configuration and base,
journaled with a fixed id, time, folder and battery hash, so the picture never changes with the
clock or the checkout.

Update after an intended visual change with
`pytest tests/tui/test_tui_battery_replay_snapshots.py --snapshot-update` and look at the SVG.
"""

from __future__ import annotations

from fake_backend import FakeBackend
from pilot_helpers import settle, steady

from engine.types import AdapterSpec, SamplingSettings
from sessions import BatteryRun, SessionStore
from sessions.batteries import load_battery
from sessions.batteries.configs import Configuration
from sessions.batteries.results import ResultsWriter
from sessions.batteries.runner import RunSettings, fingerprint, plan, run_battery
from sessions.batteries.summary import summarise
from tui.app import LogitscopeApp
from tui.cli.jsonout import to_jsonable
from tui.screens.replay import ReplayScreen

SIZE = (100, 30)


def journal_a_run(tmp_path) -> str:
    backend = FakeBackend()
    battery = load_battery("backdoor")
    configs = (Configuration("hello", (AdapterSpec("/adapters/hello.gguf", 1.0),)), Configuration("base"))
    settings = RunSettings()
    identity = to_jsonable(fingerprint(battery, configs, settings, backend.config.model_path))
    identity.update(battery_path="/batteries/backdoor.yaml", battery_sha256="5e" * 32)
    writer = ResultsWriter(tmp_path / "run", identity, to_jsonable)
    run_battery(backend, plan(battery, configs, settings), writer, settings)
    session = SessionStore().create("battery replay")
    session.append_battery_run(BatteryRun(
        id="0123456789ab", created="2026-11-22T00:12:10.638Z", battery="backdoor", battery_sha256="5e" * 32,
        fingerprint=identity, folder="/data/batteries/backdoor-20261122-001210", stopped=False, error="",
        summary=tuple(summarise(writer.records)), records=tuple(writer.records)))
    return session.id


def test_a_journaled_battery_run_replayed(snap_compare, isolated_dirs):
    session_id = journal_a_run(isolated_dirs)
    app = LogitscopeApp(FakeBackend(), sampling=SamplingSettings(temperature=0.0, seed=1), load_on_start=False)

    async def run_before(pilot):
        pilot.app.push_screen(ReplayScreen(SessionStore().open(session_id)))
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("down", "down")
        await steady(pilot)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
