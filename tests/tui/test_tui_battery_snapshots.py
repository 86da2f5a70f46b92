"""Snapshot of the battery screen (ctrl+b) after a run of the shipped `backdoor` battery under the
current configuration (an adapter) and base, on the scripted fake backend.

The run writes into a fixed folder (its name is the time otherwise). Update after an intended
visual change with `pytest tests/tui/test_tui_battery_snapshots.py --snapshot-update` and look at
the SVG.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from fake_backend import FakeBackend
from pilot_helpers import settle, steady

from engine.types import AdapterSpec, SamplingSettings
from tui.app import LogitscopeApp
from tui.screens.battery import BatteryScreen

SIZE = (100, 30)
DATA = Path(tempfile.gettempdir()) / "logitscope-battery-snapshot"


@pytest.fixture
def fixed_data_dir(monkeypatch):
    import tui.screens.battery

    shutil.rmtree(DATA, ignore_errors=True)
    monkeypatch.setattr(tui.screens.battery, "run_folder", lambda data, name: data / "batteries" / f"{name}-run")
    yield DATA
    shutil.rmtree(DATA, ignore_errors=True)


def test_battery_screen_after_a_run(snap_compare, fixed_data_dir):
    backend = FakeBackend()
    backend.config = replace(backend.config, adapters=(AdapterSpec("/adapters/hello.gguf", 1.0),))
    app = LogitscopeApp(backend, sampling=SamplingSettings(temperature=0.0, seed=1), load_on_start=False)

    async def run_before(pilot):
        chat = pilot.app.chat
        pilot.app.push_screen(BatteryScreen(backend, chat.system, chat.adapters, fixed_data_dir))
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("down", "down")
        await steady(pilot)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
