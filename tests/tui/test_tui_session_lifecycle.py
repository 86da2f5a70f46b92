"""The TUI's session is created at its first turn, not at launch, and "current" is a file.

A launch that asks nothing must leave no empty session in the browser; `--session NAME` appends
to an existing session, makes a new NAME lazily too, and still refuses a path outside the store
before the TUI starts. The browser marks as current the file being written, not every copy of it
(a copy keeps the header's id).
"""

from __future__ import annotations

import shutil
import threading

import pytest
from fake_backend import FakeBackend
from pilot_helpers import ask, settle

import engine.local
import tui.app
from sessions import Session, SessionStore
from tui.app import LogitscopeApp, run_tui
from tui.screens.replay import ReplayScreen
from tui.screens.session_browser import SessionBrowser
from tui.session_recorder import NewSession, SessionRecorder
from tui.widgets.status_bar import StatusBar

SIZE = (100, 30)


def status(app) -> str:
    return str(app.main_screen.query_one(StatusBar).render())


@pytest.fixture
def launched(monkeypatch):
    """run_tui with the fake backend, and an app that exits at once: the apps it built."""
    apps: list[LogitscopeApp] = []
    monkeypatch.setattr(engine.local, "LocalBackend", lambda config: FakeBackend())

    def run(self):
        apps.append(self)
        return 0
    monkeypatch.setattr(LogitscopeApp, "run", run)
    return apps


def launch(launched, session: str | None = None) -> tuple[int, LogitscopeApp | None]:
    code = run_tui(FakeBackend(), tui.app.SystemPrompt(), session=session)
    return code, (launched[-1] if launched else None)


def test_a_launch_that_asks_nothing_creates_no_session(launched):
    code, app = launch(launched)
    assert code == 0 and app is not None and app.recorder is not None
    assert app.recorder.session is None and app.recorder.path is None
    assert app.recorder.name == "new (saved at the first answer)"
    assert SessionStore().list() == []
    assert not SessionStore().root.exists()


def test_session_names_an_existing_session_to_append_to(launched):
    existing = SessionStore().create("probe")
    code, app = launch(launched, "probe")
    assert code == 0 and app.recorder.session is not None
    assert app.recorder.session.path == existing.path


def test_a_new_session_name_is_created_at_its_first_turn(launched):
    code, app = launch(launched, "fresh")
    assert code == 0 and app.recorder.session is None
    assert app.recorder.name == "fresh (new, saved at the first answer)"
    assert SessionStore().list() == []


def test_a_path_outside_the_store_is_still_refused_before_the_tui_starts(launched, tmp_path, capsys):
    code, app = launch(launched, str(tmp_path / "typo" / "exp.jsonl"))
    assert code == 2 and app is None  # no app was built, let alone run
    assert "is not a session in the store" in capsys.readouterr().out
    assert not SessionStore().root.exists()


async def test_the_first_answer_creates_the_session_and_the_status_bar_names_it(make_app):
    store = SessionStore()
    app = make_app(session=NewSession(store))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "session: new (saved at the first answer)" in status(app)
        assert store.list() == []
        await ask(pilot, "Is the sky blue?")
        await ask(pilot, "Is grass red?")
        app.recorder.wait()
        await settle(pilot)
        [info] = store.list()
        assert info.turns == 2
        assert f"session: {info.name}" in status(app)
        assert "saved at the first answer" not in status(app)


async def test_a_named_new_session_is_created_under_its_name(make_app):
    store = SessionStore()
    app = make_app(session=NewSession(store, "my exp"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "session: my exp (new, saved at the first answer)" in status(app)
        await ask(pilot)
        app.recorder.wait()
        await settle(pilot)
        [info] = store.list()
        assert (info.id, info.name, info.turns) == ("my-exp", "my exp", 1)


class SlowStore(SessionStore):
    """Creating takes a while and counts: two turns finishing back to back must create one."""

    def __init__(self) -> None:
        super().__init__()
        self.created = 0
        self.entered = threading.Event()
        self.go_on = threading.Event()

    def create(self, name=None, origin=None) -> Session:
        self.created += 1
        self.entered.set()
        self.go_on.wait(10)
        return super().create(name, origin)


async def test_two_turns_back_to_back_create_the_session_once(make_app):
    store = SlowStore()
    app = make_app(session=NewSession(store))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "first")
        assert store.entered.wait(10)  # the first write is creating the file...
        await ask(pilot, "second")  # ...while the second turn is queued
        store.go_on.set()
        app.recorder.wait()
        assert store.created == 1
        [info] = store.list()
        assert info.turns == 2


async def test_the_status_bar_names_the_session_once_the_journal_thread_created_it(make_app):
    store = SlowStore()
    app = make_app(session=NewSession(store))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot)
        assert store.entered.wait(10)
        await settle(pilot)  # the answer is done; its session is still being created
        assert "session: new (saved at the first answer)" in status(app)
        store.go_on.set()
        app.recorder.wait()
        await settle(pilot)  # nothing else happened on the UI: the recorder told the app
        assert f"session: {app.recorder.session.name}" in status(app)


async def test_the_browser_marks_the_file_being_written_not_its_copies(make_app, isolated_dirs):
    store = SessionStore()
    app = make_app(session=NewSession(store))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot)
        app.recorder.wait()
        original = app.recorder.session.path
        copy = original.with_name(f"copy-of-{original.name}")
        shutil.copyfile(original, copy)  # the same header id in another file
        await pilot.press("ctrl+o")
        await settle(pilot)
        browser = app.screen
        assert isinstance(browser, SessionBrowser)
        table = browser.query_one("#session-table")
        notes = {info.path: table.get_row_at(n)[4].plain for n, info in enumerate(browser.infos)}
        assert Session.read_header(copy).id == Session.read_header(original).id
        assert "current" in notes[str(original)]
        assert "current" not in notes[str(copy)]


async def test_the_browser_marks_nothing_current_before_the_first_turn(make_app, isolated_dirs):
    from session_fixtures import populate

    populate(isolated_dirs / "data")
    app = make_app(session=NewSession(SessionStore()), load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot)
        table = app.screen.query_one("#session-table")
        assert table.row_count == 3
        assert not any("current" in table.get_row_at(n)[4].plain for n in range(table.row_count))


async def test_compare_with_current_before_the_first_turn_says_nothing_was_recorded(
        make_app, isolated_dirs):
    from session_fixtures import populate

    populate(isolated_dirs / "data")
    app = make_app(session=NewSession(SessionStore()), load_on_start=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(ReplayScreen(SessionStore().open("sky-chat")))
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ReplayScreen)
        assert any("Nothing has been recorded yet" in n.message for n in app._notifications)


async def test_compare_with_current_waits_for_the_first_turn_being_written(make_app, isolated_dirs):
    from session_fixtures import populate

    from tui.screens.compare import CompareScreen

    populate(isolated_dirs / "data")
    store = SlowStore()
    app = make_app(session=NewSession(store))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "Why is the sky blue?")
        assert store.entered.wait(10)  # the session is being created: nothing on disk yet
        app.push_screen(ReplayScreen(SessionStore().open("sky-chat")))
        await settle(pilot)
        await pilot.press("c")
        store.go_on.set()
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        assert len(app.screen.b.turns) == 1


def test_the_recorder_creates_a_new_session_once_for_all_turns():
    """The recorder alone: `_target` from two threads at once makes one session."""
    store = SlowStore()
    recorder = SessionRecorder(NewSession(store))
    got: list[Session] = []
    threads = [threading.Thread(target=lambda: got.append(recorder._target())) for _ in range(2)]
    for t in threads:
        t.start()
    assert store.entered.wait(10)
    store.go_on.set()
    for t in threads:
        t.join(10)
    assert store.created == 1 and got[0] is got[1]
    recorder.close()
