"""Snapshots of the live compare screen (ctrl+l) on the scripted fake backend: a finished
comparison with an adapter on one side and base on the other, the cursor on the first difference;
the same teacher-forced; and a journaled three-lane comparison replayed read-only (replay, v,
Enter) with a fixed id and time, so the pictures never change with the clock.

Update after an intended visual change with
`pytest tests/tui/test_tui_live_compare_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import random
from dataclasses import replace

from fake_backend import FakeBackend
from pilot_helpers import settle, steady

from engine.types import AdapterSpec, SamplingSettings
from sessions import SessionStore, new_comparison
from sessions.synthetic_comparison import comparison
from tui.app import LogitscopeApp
from tui.screens.replay import ReplayScreen

SIZE = (100, 30)


def app_with_an_adapter() -> LogitscopeApp:
    backend = FakeBackend()
    backend.config = replace(backend.config, adapters=(AdapterSpec("/adapters/hello.gguf", 1.0),))
    return LogitscopeApp(backend, sampling=SamplingSettings(temperature=0.0, seed=1), load_on_start=False)


async def compare(pilot, *keys: str) -> None:
    await settle(pilot)  # the main screen composed
    pilot.app.screen.query_one("#message").value = "Is the sky blue?"
    await pilot.press("ctrl+l")
    await settle(pilot)
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
    await steady(pilot)


def test_live_compare_adapter_against_base_at_the_first_difference(snap_compare):
    async def run_before(pilot):
        await compare(pilot, "f")
    assert snap_compare(app_with_an_adapter(), terminal_size=SIZE, run_before=run_before)


def test_live_compare_teacher_forced(snap_compare):
    async def run_before(pilot):
        await compare(pilot, "f3", "home", "n")
    assert snap_compare(app_with_an_adapter(), terminal_size=SIZE, run_before=run_before)


def test_a_journaled_comparison_replayed(snap_compare, isolated_dirs):
    request, steps, result = comparison(random.Random(7), n_lanes=3, n_tokens=10)
    record = replace(new_comparison(request, steps, result), id="0123456789ab", created="2026-11-22T00:12:10.638Z")
    session = SessionStore().create("compare replay")
    session.append_comparison(record)
    app = LogitscopeApp(FakeBackend(), sampling=SamplingSettings(temperature=0.0, seed=1), load_on_start=False)

    async def run_before(pilot):
        pilot.app.push_screen(ReplayScreen(SessionStore().open(session.id)))
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("right", "right")
        await steady(pilot)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
