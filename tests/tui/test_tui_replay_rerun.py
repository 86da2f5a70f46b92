"""Replay's `r` asks before it re-runs: the configuration in full, what is kept, where it goes.

And replay's status line stays short, with the activity first, so "re-ran 3/10 turns…" is never
the part an 80-column terminal cuts off.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from pilot_helpers import ask, settle
from session_fixtures import populate

from engine.types import AdapterSpec, SystemPrompt
from sessions import Session, SessionStore
from tui.screens.compare import CompareScreen
from tui.screens.replay import ReplayScreen
from tui.screens.rerun_confirm import RerunConfirmModal

SYSTEM = "You are a pirate.\nAnswer every question [b]only[/b] in rhymes, and never more than ten words."


def shown(modal: RerunConfirmModal, row: str) -> str:
    return str(modal.query_one(f"#rerun-{row}").render())


def visible_line(widget) -> str:
    """The status line as the terminal shows it (cut to the widget's width)."""
    return "".join(segment.text for segment in widget.render_line(0))


async def recorded_session(pilot, app, backend) -> Session:
    await settle(pilot)
    await ask(pilot, "Is the sky blue?")
    await ask(pilot, "Is grass red?")
    app.recorder.wait()
    return Session.open(app.recorder.session.path)


def fake_model(backend, isolated_dirs) -> str:
    model = isolated_dirs / "fake-model.gguf"
    model.write_bytes(b"GGUF")
    backend.config = replace(backend.config, model_path=str(model))
    return str(model)


async def test_r_shows_the_configuration_in_full_and_escape_cancels(make_app, backend, isolated_dirs):
    model = fake_model(backend, isolated_dirs)
    adapters = (AdapterSpec(str(isolated_dirs / "hello.gguf"), 0.5),
                AdapterSpec(str(isolated_dirs / "style.gguf"), 0.0))
    app = make_app(session=SessionStore().create("original"), system=SystemPrompt.custom(SYSTEM))
    async with app.run_test(size=(80, 24)) as pilot:
        session = await recorded_session(pilot, app, backend)
        app.chat.adapters = adapters
        app.push_screen(ReplayScreen(session))
        await settle(pilot)
        asked = len(backend.requests)
        await pilot.press("r")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, RerunConfirmModal)
        assert "original" in str(modal.query_one("#rerun-intro").render())
        assert "2 recorded turns" in str(modal.query_one("#rerun-intro").render())
        assert shown(modal, "model") == f"fake-model.gguf\n{model}"
        assert f"hello.gguf ×0.5  {isolated_dirs / 'hello.gguf'}" in shown(modal, "adapters")
        assert "style.gguf ×0 (loaded, off)" in shown(modal, "adapters")
        assert shown(modal, "system") == f"custom ({len(SYSTEM)} characters):\n{SYSTEM}"  # literal, whole
        kept = shown(modal, "kept")
        assert "recorded sampling" in kept and "seed" in kept and "(F4) is not used" in kept
        assert "original-rerun" in shown(modal, "result") and "comparison" in shown(modal, "result")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReplayScreen)
        await pilot.press("r", "n")
        await settle(pilot)
        assert isinstance(app.screen, ReplayScreen)
        assert len(backend.requests) == asked  # nothing was re-run
        assert [i.name for i in SessionStore().list()] == ["original"]


async def test_enter_confirms_the_rerun_and_the_comparison_opens(make_app, backend, isolated_dirs):
    fake_model(backend, isolated_dirs)
    app = make_app(session=SessionStore().create("original"), system=SystemPrompt.none())
    async with app.run_test(size=(80, 24)) as pilot:
        session = await recorded_session(pilot, app, backend)
        app.push_screen(ReplayScreen(session))
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert "none: no system message" in shown(app.screen, "system")
        assert shown(app.screen, "adapters") == "none: every turn runs on the bare model"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        rerun = Session.open(app.screen.b.path)
        assert rerun.header.origin.session == "original" and len(rerun.turns) == 2


async def test_the_rerun_activity_comes_first_in_the_status_line_at_80_columns(
        make_app, backend, isolated_dirs):
    fake_model(backend, isolated_dirs)
    long_name = "an experiment on system prompts none versus empty with a long name"
    app = make_app(session=SessionStore().create(long_name))
    async with app.run_test(size=(80, 24)) as pilot:
        session = await recorded_session(pilot, app, backend)
        app.push_screen(ReplayScreen(session))
        await settle(pilot)
        replay = app.screen
        status = replay.query_one("#status")
        assert visible_line(status).startswith(f" session {long_name[:40]}")
        backend.hold_after = 1  # the re-run's first generation waits until released
        await pilot.press("r", "y")
        assert await asyncio.to_thread(backend.holding.wait, 10)
        await pilot.pause()
        assert visible_line(status).startswith(" re-running 2 turns… │ session an experiment")
        replay.refresh_status("re-ran 3/10 turns…")
        await pilot.pause()
        line = visible_line(status)
        assert line.startswith(" re-ran 3/10 turns… │ ") and len(line.rstrip()) <= 80
        backend.release.set()
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)


async def test_the_status_line_of_a_short_session_fits_80_columns(make_app, isolated_dirs):
    populate(isolated_dirs / "data")
    app = make_app(load_on_start=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ReplayScreen(SessionStore().open("sky-chat-rerun")))
        await settle(pilot)
        line = visible_line(app.screen.query_one("#status")).rstrip()
        assert line == " session sky-chat-rerun │ 2 records │ read-only │ rerun of sky-chat"


async def test_a_one_record_session_says_record(make_app, isolated_dirs):
    populate(isolated_dirs / "data")
    app = make_app(load_on_start=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ReplayScreen(SessionStore().open("geo")))
        await settle(pilot)
        assert visible_line(app.screen.query_one("#status")).rstrip() == " session geography │ 1 record │ read-only"
