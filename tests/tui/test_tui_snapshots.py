"""Snapshots of every screen, panel and modal, on the scripted fake backend at fixed sizes.

Update after an intended visual change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fake_backend import FakeBackend
from pilot_helpers import ask, settle, steady, to_transcript

from engine.errors import WorkerDiedError
from engine.types import AdapterSpec, SamplingSettings, SystemPrompt
from tui.app import LogitscopeApp

SIZE = (100, 30)
SCRIPT = [["Yes", ",", " the", " sky", " is", " blue", " because", " of", " Ray", "leigh", " scattering", "."],
          [" green", "."]]


@pytest.fixture(autouse=True)
def fixed_default_model(monkeypatch):
    """The model panel lists the embedded default model: at a fixed path here, so the snapshot
    does not show where this machine's virtual environment happens to be."""
    import engine.known_models

    monkeypatch.setattr(engine.known_models, "default_model_path",
                        lambda: Path("/opt/models/SmolLM2-135M-Instruct.Q4_1.gguf"))


def snap(snap_compare, app: LogitscopeApp, run_before, size: tuple[int, int] = SIZE) -> bool:
    async def steady_after(pilot):
        await run_before(pilot)
        await steady(pilot)
    return snap_compare(app, terminal_size=size, run_before=steady_after)


def make(adapters: tuple[AdapterSpec, ...] = (), **kwargs) -> LogitscopeApp:
    backend = FakeBackend(script=[list(s) for s in SCRIPT])
    backend.config = replace(backend.config, adapters=adapters)
    return LogitscopeApp(backend, system=kwargs.pop("system", SystemPrompt()),
                         sampling=SamplingSettings(temperature=0.0, seed=1), **kwargs)


async def answered(pilot, cursor_moves: int = 4) -> None:
    await settle(pilot)
    await ask(pilot, "Why is the sky blue?")
    await to_transcript(pilot)
    await pilot.press("home", *["right"] * cursor_moves)


def test_empty_main_screen(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
    assert snap(snap_compare, make(), run_before)


def test_answer_with_cursor_and_inspector(snap_compare):
    assert snap(snap_compare, make(), answered)


@pytest.mark.parametrize("presses", [1, 2], ids=["entropy", "rank"])
def test_tint_modes(snap_compare, presses):
    async def run_before(pilot):
        await answered(pilot)
        await pilot.press(*["f7"] * presses)
    assert snap(snap_compare, make(), run_before)


def test_forked_branch(snap_compare):
    async def run_before(pilot):
        await answered(pilot, 5)
        await pilot.press("tab", "2")
        await settle(pilot)
        await pilot.press("home", *["right"] * 5)
    assert snap(snap_compare, make(), run_before)


@pytest.mark.parametrize("key", ["f2", "f3", "f4", "f5"], ids=["system", "adapters", "sampling", "model"])
def test_side_panels(snap_compare, key):
    async def run_before(pilot):
        await answered(pilot)
        await pilot.press(key)
        await pilot.pause()
    app = make(adapters=(AdapterSpec("/a/pirate.gguf", 0.8), AdapterSpec("/a/terse.gguf", 0.0)),
               system=SystemPrompt.custom("Answer briefly."))
    assert snap(snap_compare, app, run_before)


def test_side_panel_wide_keeps_the_inspector(snap_compare):
    async def run_before(pilot):
        await answered(pilot)
        await pilot.press("f4")
        await pilot.pause()
    assert snap(snap_compare, make(), run_before, (200, 50))


def test_rendered_prompt_modal(snap_compare):
    async def run_before(pilot):
        await answered(pilot)
        await pilot.press("f6")
        await settle(pilot)
    assert snap(snap_compare, make(), run_before)


def test_error_modal(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        pilot.app.backend.fail_next = WorkerDiedError(
            "The llama.cpp worker killed by SIGKILL. Nothing in this app was lost; the next request "
            "starts a fresh worker.", details="llama_model_load: error loading model\nabort()")
        await ask(pilot, "Why is the sky blue?")
    assert snap(snap_compare, make(), run_before)


def test_help_screen(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
    assert snap(snap_compare, make(), run_before)


def test_error_modal_for_an_illegal_instruction(snap_compare, monkeypatch):
    """A worker killed by SIGILL on its first decode: the modal names the cause and the fix."""
    from engine import crash_diagnosis

    monkeypatch.setattr(crash_diagnosis, "rebuild_command",
                        lambda: ".venv/bin/python engine/native/install.py --rebuild")

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.backend.fail_next = crash_diagnosis.worker_died_error(
            -4, crash_diagnosis.PHASE_FIRST_DECODE, "~/.local/state/logitscope/log/llama.log",
            details="load_tensors:   CPU_REPACK model buffer size =    12.3 MiB")
        await ask(pilot, "Why is the sky blue?")
    assert snap(snap_compare, make(), run_before)
