"""File and journal work stays off the UI thread: a slow disk must not freeze the screen.

Each test spies on one blocking call and records whether it ran on the main thread (where the
Textual event loop runs in tests, as in the app).
"""

from __future__ import annotations

import threading

from pilot_helpers import ask, settle
from session_fixtures import populate

import tui.replay_model as replay_model
import tui.widgets.panels.model as model_panel
from sessions import Session, SessionStore
from tui.screens.compare import CompareScreen
from tui.screens.replay import ReplayScreen
from tui.session_recorder import SessionRecorder
from tui.widgets.transcript import AnswerView

SIZE = (120, 35)


def spy(monkeypatch, owner, name: str, calls: list[bool], wrap=None) -> None:
    real = getattr(owner, name)

    def recording(*args, **kwargs):
        calls.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)
    monkeypatch.setattr(owner, name, wrap(recording) if wrap else recording)


async def test_the_model_panel_globs_the_model_folders_in_a_worker(make_app, isolated_dirs, monkeypatch):
    (isolated_dirs / "data" / "models").mkdir(parents=True)
    (isolated_dirs / "data" / "models" / "nearby.gguf").write_bytes(b"GGUF")
    calls: list[bool] = []
    spy(monkeypatch, model_panel, "find_known_models", calls)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        found = app.screen.query_one("#model-list")
        ids = [str(found.get_option_at_index(n).id) for n in range(found.option_count)]
        assert str(isolated_dirs / "data" / "models" / "nearby.gguf") in ids
        assert calls and not any(calls), calls


async def test_replay_groups_and_decodes_pages_in_a_worker(make_app, isolated_dirs, monkeypatch):
    import random

    from sessions import record_generation, synthetic

    session = SessionStore().create("long")
    rng = random.Random(1)
    for n in range(20):
        record_generation(session, *synthetic.generation(rng, 10, 5, prompt=f"question {n}"))
    grouped: list[bool] = []
    decoded: list[bool] = []
    spy(monkeypatch, replay_model, "group_turns", grouped)
    spy(monkeypatch, replay_model, "build_turn", decoded)
    import tui.screens.replay as replay_screen  # the screen's own references, too

    for name in ("group_turns", "page_conversation"):
        if hasattr(replay_screen, name):
            spy(monkeypatch, replay_screen, name, grouped if name == "group_turns" else decoded)
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ReplayScreen(Session.open(session.path)))
        await settle(pilot)
        replay = app.screen
        assert "turns 1–8 of 20" in replay.query_one("#transcript").border_title
        await pilot.press("pagedown", "pagedown")  # quick presses add up
        await settle(pilot)
        assert "turns 17–20 of 20" in replay.query_one("#transcript").border_title
        assert replay.query(AnswerView).first().turn.user == "question 16"
        await pilot.press("pageup")
        await settle(pilot)
        assert "turns 9–16 of 20" in replay.query_one("#transcript").border_title
    assert grouped and not any(grouped), grouped
    assert decoded and not any(decoded), decoded


async def test_comparing_with_the_current_session_waits_for_the_journal_in_a_worker(
        make_app, isolated_dirs, monkeypatch):
    populate(isolated_dirs / "data")
    app = make_app(session=SessionStore().create("now"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "Why is the sky blue?")
        app.push_screen(ReplayScreen(SessionStore().open("sky-chat")))
        await settle(pilot)
        waited: list[bool] = []
        opened: list[bool] = []
        spy(monkeypatch, SessionRecorder, "wait", waited)
        spy(monkeypatch, Session, "open", opened, wrap=lambda f: classmethod(lambda cls, path: f(path)))
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen) and app.screen.b.name == "now"
        assert waited and not any(waited), waited
        assert opened and not any(opened), opened
