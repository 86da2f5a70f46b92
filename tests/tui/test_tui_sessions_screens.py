"""The session screens driven with Pilot: browser (list, search, delete with confirmation),
replay (no backend calls, branches restored), re-run and export from replay, compare."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from pilot_helpers import ask, settle
from session_fixtures import populate

from sessions import Session, SessionStore
from tui.screens.compare import CompareScreen
from tui.screens.replay import ReplayScreen
from tui.screens.session_browser import SEARCH_DELAY_S, SessionBrowser
from tui.screens.session_modals import ConfirmModal, ExportModal
from tui.widgets.inspector import Inspector
from tui.widgets.transcript import AnswerView

SIZE = (120, 35)


async def open_browser(pilot) -> SessionBrowser:
    await pilot.press("ctrl+o")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SessionBrowser)
    return pilot.app.screen


async def select(pilot, browser: SessionBrowser, sid: str) -> None:
    row = [i.id for i in browser.infos].index(sid)
    browser.query_one("#session-table").move_cursor(row=row)
    await pilot.pause()


async def test_browser_lists_searches_and_deletes_with_confirmation(make_app, isolated_dirs):
    populate(isolated_dirs / "data")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        browser = await open_browser(pilot)
        assert [i.id for i in browser.infos] == ["sky-chat-rerun", "sky-chat", "geo"]
        table = browser.query_one("#session-table")
        assert table.row_count == 3
        assert [c.plain for c in table.get_row_at(2)[:4]] == ["geography", "2026-11-19 08:15",
                                                              "synthetic.gguf", "1"]
        await pilot.press("slash", *"grass")  # searches prompts and answers
        await pilot.pause(SEARCH_DELAY_S + 0.1)  # once the typing pauses
        await settle(pilot)
        assert [i.id for i in browser.infos] == ["sky-chat-rerun", "sky-chat"]
        await pilot.press(*["backspace"] * 5, "tab")
        await pilot.pause(SEARCH_DELAY_S + 0.1)
        await settle(pilot)
        await select(pilot, browser, "geo")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # declined: still there
        await settle(pilot)
        assert (isolated_dirs / "data" / "sessions" / "geo.jsonl").exists()
        await pilot.press("d", "y")
        await settle(pilot)
        assert not (isolated_dirs / "data" / "sessions" / "geo.jsonl").exists()
        assert [i.id for i in browser.infos] == ["sky-chat-rerun", "sky-chat"]


async def test_replay_restores_branches_without_backend_calls(make_app, backend, isolated_dirs):
    populate(isolated_dirs / "data")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        browser = await open_browser(pilot)
        await select(pilot, browser, "sky-chat")
        await pilot.press("enter")
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        views = list(replay.query(AnswerView))
        assert len(views) == 2  # the fork is a branch of the first turn, not a turn
        assert "branch 2/2 · forked from 1 at token 2" in views[0].text.plain
        assert views[0].turn.answer.text == "Yes," + views[0].turn.answer.steps[2].text + " because of light."
        await pilot.press("right", "up", "home", "right", "right")  # first answer, token 2
        assert "turn 1 · token 2" in str(replay.query_one("#inspector-summary").render())
        assert replay.query_one(Inspector)._shown.forced
        await pilot.press("[")  # back to the original branch
        assert "branch 1/2" in views[0].text.plain
        await pilot.press("3")  # forking is refused, politely
        await settle(pilot)
        assert backend.requests == [] and backend.calls == 0 and backend.info is None


async def test_replay_pages_a_long_session(make_app, isolated_dirs):
    import random

    from sessions import record_generation, synthetic

    session = SessionStore().create("long")
    rng = random.Random(1)
    for n in range(20):
        record_generation(session, *synthetic.generation(rng, 10, 5, prompt=f"question {n}"))
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ReplayScreen(Session.open(session.path)))
        await settle(pilot)
        replay = app.screen
        assert "turns 1–8 of 20" in replay.query_one("#transcript").border_title
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert "turns 17–20 of 20" in replay.query_one("#transcript").border_title
        assert replay.query(AnswerView).first().turn.user == "question 16"


async def test_rerun_from_replay_makes_a_linked_session_and_compares(make_app, backend, isolated_dirs):
    model = isolated_dirs / "fake-model.gguf"
    model.write_bytes(b"GGUF")
    backend.config = replace(backend.config, model_path=str(model))
    backend.script = [["Yes", ",", " the", " sky", " is", " blue", "."], [" No", "."], ["Yes", "!"]]
    app = make_app(session=SessionStore().create("original"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "Is the sky blue?")
        await ask(pilot, "Is grass red?")
        app.recorder.wait()
        app.push_screen(ReplayScreen(Session.open(app.recorder.session.path)))
        await settle(pilot)
        backend.hold_after = 1  # the re-run's first generation waits until released
        await pilot.press("r", "enter")  # re-run, confirmed in the modal that shows the configuration
        assert await asyncio.to_thread(backend.holding.wait, 10)
        await pilot.press("escape")  # refused while the re-run drives the backend
        assert isinstance(app.screen, ReplayScreen)
        backend.release.set()
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        rerun = Session.open(app.screen.b.path)
        assert rerun.header.origin.session == "original" and rerun.header.origin.relation == "rerun"
        assert len(rerun.turns) == 2 and rerun.turns[0].origin.turn == app.screen.a.turns[0].id
        assert app.screen.result.paired_by == "origin"
        assert len(backend.requests) == 4


async def test_export_from_replay_writes_the_typed_path(make_app, isolated_dirs):
    populate(isolated_dirs / "data")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ReplayScreen(SessionStore().open("sky-chat")))
        await settle(pilot)
        await pilot.press("x")
        modal = app.screen
        assert isinstance(modal, ExportModal)
        assert modal.query_one("#export-path").value.endswith("exports/sky-chat.html")
        target = isolated_dirs / "out" / "notes.md"
        modal.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        text = target.read_text()
        assert text.startswith("# Session: sky chat") and "Why is the sky blue?" in text
        await pilot.press("x")
        app.screen.query_one("#export-path").value = str(isolated_dirs / "out" / "bad.txt")
        await pilot.press("enter")
        await settle(pilot)
        assert any("Unknown export format" in n.message for n in app._notifications)


async def test_compare_from_the_browser(make_app, isolated_dirs):
    populate(isolated_dirs / "data")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        browser = await open_browser(pilot)
        await select(pilot, browser, "sky-chat")
        await pilot.press("c")
        await select(pilot, browser, "sky-chat-rerun")
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.result.paired_by == "origin" and len(screen.result.turns) == 2
        assert screen.current.first_divergence == 2
        table = screen.query_one("#compare-table")
        await pilot.press("f")
        assert table.cursor_row == 2
        await pilot.press("]")
        assert screen.pair == 1 and screen.current.first_divergence == 1
        await pilot.press("escape")
        assert app.screen is browser


async def test_rerun_with_a_missing_model_explains_and_keeps_nothing(make_app, isolated_dirs):
    populate(isolated_dirs / "data")
    app = make_app(load_on_start=False)  # the fake backend's model path is not a file
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ReplayScreen(SessionStore().open("geo")))
        await settle(pilot)
        await pilot.press("r", "y")
        await settle(pilot)
        assert isinstance(app.screen, ReplayScreen)
        assert any("does not exist" in n.message for n in app._notifications)
        assert sorted(i.id for i in SessionStore().list()) == ["geo", "sky-chat", "sky-chat-rerun"]


async def test_replay_compares_with_the_current_session(make_app, isolated_dirs):
    populate(isolated_dirs / "data")
    app = make_app(session=SessionStore().create("now"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "Why is the sky blue?")
        app.push_screen(ReplayScreen(SessionStore().open("sky-chat")))
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.b.name == "now"
        assert screen.result.paired_by == "position" and len(screen.result.turns) == 1


HOSTILE = "[bold]x[/] [/x] [link=https://e.com]y [$var] [B]z \\"


async def test_session_text_is_shown_literally_never_as_markup(make_app, isolated_dirs):
    """Regression: names went through markup: `[x]` vanished and `[/x]` raised MarkupError."""
    import random

    from sessions import record_generation, synthetic

    populate(isolated_dirs / "data")
    session = SessionStore().create(HOSTILE)
    record_generation(session, *synthetic.generation(random.Random(2), 4, prompt="[/] prompt"))
    (isolated_dirs / "data" / "sessions" / "[x] broken.jsonl").write_text("[/] not a session\n")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        browser = await open_browser(pilot)
        table = browser.query_one("#session-table")
        rows = {info.id: table.get_row_at(n) for n, info in enumerate(browser.infos)}
        assert rows[session.id][0].plain == HOSTILE
        assert rows["[x] broken"][0].plain == "[x] broken"
        assert "[x] broken.jsonl is not a logitscope session" in rows["[x] broken"][4].plain
        await select(pilot, browser, session.id)
        await pilot.press("c")  # marked: the status line and a notification name it
        await settle(pilot)
        assert f"marked for compare: {HOSTILE}" in str(browser.query_one("#browser-status").render())
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.query_one("#confirm-question").render())
        assert f"Delete session {HOSTILE} (1 turns)?" in question and "y yes · n no" in question
        await pilot.press("n")
        await select(pilot, browser, "[x] broken")
        await pilot.press("enter", "d", "y")  # refused to open, then refused to delete
        await settle(pilot)
        assert app.screen is browser and app.is_running
        assert (isolated_dirs / "data" / "sessions" / "[x] broken.jsonl").exists()
        await pilot.press("slash", *"[/]")  # searching for markup finds the prompt
        await pilot.pause(SEARCH_DELAY_S + 0.1)
        await settle(pilot)
        assert [i.id for i in browser.infos] == [session.id]


async def test_opening_a_session_from_the_browser_reads_it_off_the_ui_thread(
        make_app, isolated_dirs, monkeypatch):
    """Regression: Enter and c opened (read and verified) the journals on the UI thread."""
    import threading

    populate(isolated_dirs / "data")
    threads = []
    real_open = SessionStore.open

    def spy(self, ref):
        threads.append(threading.current_thread() is threading.main_thread())
        return real_open(self, ref)
    monkeypatch.setattr(SessionStore, "open", spy)
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        browser = await open_browser(pilot)
        await select(pilot, browser, "sky-chat")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReplayScreen) and app.screen.session.id == "sky-chat"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("c")
        await select(pilot, browser, "geo")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        assert len(threads) == 3 and not any(threads), threads
