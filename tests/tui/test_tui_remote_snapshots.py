"""Snapshot of the inspector on a remote engine's step (entropy and rank over its top-k + rest,
marked "≥"), the status bar naming the engine; NEW in issue 15, its baseline is the lead's to make."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_backend import FakeRemoteBackend
from pilot_helpers import ask, settle, steady, to_transcript

from engine.types import SamplingSettings, SystemPrompt
from tui.app import LogitscopeApp


@pytest.fixture(autouse=True)
def fixed_default_model(monkeypatch):
    import engine.known_models

    monkeypatch.setattr(engine.known_models, "default_model_path",
                        lambda: Path("/opt/models/SmolLM2-135M-Instruct.Q4_1.gguf"))


def test_inspector_on_a_remote_step(snap_compare):
    app = LogitscopeApp(FakeRemoteBackend(), system=SystemPrompt(), sampling=SamplingSettings(temperature=0.0, seed=1))

    async def run_before(pilot):
        await settle(pilot)
        await ask(pilot, "Why is the sky blue?")
        await to_transcript(pilot)
        await pilot.press("home", "right")
        await steady(pilot)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
