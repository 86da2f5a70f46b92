"""Snapshots of the session screens (browser, replay, compare, delete confirmation) on fixed
fixture sessions (fixed ids, names and dates), so they never change with the clock.

Update after an intended visual change with
`pytest tests/tui/test_tui_sessions_snapshots.py --snapshot-update` and look at the report.
"""

from __future__ import annotations

from fake_backend import FakeBackend
from pilot_helpers import settle, steady
from session_fixtures import populate

from engine.types import SamplingSettings
from sessions import SessionStore
from tui.app import LogitscopeApp
from tui.screens.compare import CompareScreen
from tui.screens.replay import ReplayScreen

SIZE = (120, 35)


def make() -> LogitscopeApp:
    return LogitscopeApp(FakeBackend(), sampling=SamplingSettings(temperature=0.0, seed=1),
                         load_on_start=False)


def snap(snap_compare, isolated_dirs, run_before) -> bool:
    populate(isolated_dirs / "data")

    async def steady_after(pilot):
        await settle(pilot)
        await run_before(pilot)
        await settle(pilot)
        await steady(pilot)
    return snap_compare(make(), terminal_size=SIZE, run_before=steady_after)


def test_session_browser(snap_compare, isolated_dirs):
    async def run_before(pilot):
        await pilot.press("ctrl+o")
    assert snap(snap_compare, isolated_dirs, run_before)


def test_session_browser_delete_confirmation(snap_compare, isolated_dirs):
    async def run_before(pilot):
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("down", "down", "d")
    assert snap(snap_compare, isolated_dirs, run_before)


def test_replay_with_branch_and_inspector(snap_compare, isolated_dirs):
    async def run_before(pilot):
        pilot.app.push_screen(ReplayScreen(SessionStore().open("sky-chat")))
        await settle(pilot)
        await pilot.press("right", "up", "home", "right", "right", "right")
    assert snap(snap_compare, isolated_dirs, run_before)


def test_compare_side_by_side(snap_compare, isolated_dirs):
    async def run_before(pilot):
        store = SessionStore()
        pilot.app.push_screen(CompareScreen(store.open("sky-chat"), store.open("sky-chat-rerun")))
        await settle(pilot)
        await pilot.press("f")
    assert snap(snap_compare, isolated_dirs, run_before)
