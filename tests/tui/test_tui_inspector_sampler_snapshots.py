"""Snapshot of the inspector's two columns (raw and post-sampler, removed tokens greyed with
their stage) on the scripted fake backend; NEW in issue 13, its baseline is the lead's to make."""

from __future__ import annotations

from pathlib import Path

import fake_backend
import pytest
from fake_backend import FakeBackend
from pilot_helpers import ask, settle, steady, to_transcript
from test_tui_inspector_sampler import viewed

from engine.types import SamplingSettings, SystemPrompt
from tui.app import LogitscopeApp


@pytest.fixture(autouse=True)
def fixed_default_model(monkeypatch):
    import engine.known_models

    monkeypatch.setattr(engine.known_models, "default_model_path",
                        lambda: Path("/opt/models/SmolLM2-135M-Instruct.Q4_1.gguf"))


def test_inspector_with_the_sampler_column(snap_compare, monkeypatch):
    monkeypatch.setattr(fake_backend, "make_step", viewed)
    app = LogitscopeApp(FakeBackend(), system=SystemPrompt(), sampling=SamplingSettings(temperature=0.8, seed=1))

    async def run_before(pilot):
        await settle(pilot)
        await ask(pilot, "Why is the sky blue?")
        await to_transcript(pilot)
        await pilot.press("home", "right", "right", "right")  # a sampled position with cuts
        await steady(pilot)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
