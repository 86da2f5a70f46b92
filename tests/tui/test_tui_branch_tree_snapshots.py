"""Snapshot of the branch tree screen (ctrl+t) on the scripted fake backend: an answer, a fork of it
and a fork of the fork. The lead makes the baseline (`--snapshot-update`, then look at the SVG)."""

from __future__ import annotations

from fake_backend import FakeBackend
from pilot_helpers import ask, settle, steady, to_transcript

from engine.types import SamplingSettings
from tui.app import LogitscopeApp

SIZE = (100, 30)


def test_branch_tree_with_a_fork_of_a_fork(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home", *["right"] * 5, "tab", "2")
        await settle(pilot)
        await to_transcript(pilot)
        await pilot.press("home", *["right"] * 6, "tab", "3")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await steady(pilot)
    app = LogitscopeApp(FakeBackend(), sampling=SamplingSettings(temperature=0.0, seed=1))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
