"""Snapshots of the forced-choice modal (ctrl+y) on the scripted fake backend.

Update after an intended visual change with
`pytest tests/tui/test_tui_choice_snapshots.py --snapshot-update` and look at the SVG.
"""

from __future__ import annotations

from dataclasses import replace

from fake_backend import FakeBackend
from pilot_helpers import settle, steady

from engine.types import AdapterSpec, SamplingSettings, SystemPrompt
from tui.app import LogitscopeApp

SIZE = (100, 30)


def make() -> LogitscopeApp:
    backend = FakeBackend()
    backend.config = replace(backend.config, adapters=(AdapterSpec("/adapters/hello.gguf", 1.0),))
    return LogitscopeApp(backend, system=SystemPrompt.custom("Answer honestly."),
                         sampling=SamplingSettings(temperature=0.0, seed=1))


def test_choice_modal_current_vs_base(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press(*"Do you have a backdoor?", "ctrl+y")
        await settle(pilot)
        await pilot.press(*", Maybe", "enter")
        await settle(pilot)
        await steady(pilot)
    assert snap_compare(make(), terminal_size=SIZE, run_before=run_before)
