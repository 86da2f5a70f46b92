"""Sessions in the TUI: every generation journaled (branches with their parent), the status bar
names the session, and a failed write is a notification rather than a crash."""

from __future__ import annotations

from pilot_helpers import ask, settle, to_transcript

from sessions import Session, SessionStore
from tui.widgets.status_bar import StatusBar


def journaled(app) -> Session:
    app.recorder.wait()
    return Session.open(app.recorder.session.path)  # what is on disk, not the in-memory copy


async def test_a_generation_is_journaled_at_once(make_app, backend):
    session = SessionStore().create("journal test")
    app = make_app(session=session)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot, "Is the sky blue?")
        saved = journaled(app)
        assert len(saved.turns) == 1
        turn = saved.turns[0]
        assert turn.prompt == "Is the sky blue?"
        assert turn.result.text == app.chat.conversation.turns[0].answer.result.text
        assert [s.id for s in turn.steps] == list(app.chat.conversation.turns[0].answer.token_ids)
        assert turn.parent is None and turn.branch_position is None
        assert turn.provenance.model_path == backend.config.model_path
        assert "session: journal test" in str(app.screen.query_one(StatusBar).render())


async def test_branches_and_regenerations_record_their_parent(make_app, backend):
    backend.script = [["Yes", ",", " the", " sky", " is", " blue", "."], [" green", "."], ["No", "."]]
    app = make_app(session=SessionStore().create("branches"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home", "right", "right", "tab", "2")  # fork at token 2
        await settle(pilot)
        await pilot.press("f8")  # regenerate
        await settle(pilot)
        turns = journaled(app).turns
        assert len(turns) == 3
        root, fork, regen = turns
        assert (fork.parent, fork.branch_position) == (root.id, 2)
        assert fork.request.continue_from == backend.requests[1].continue_from
        assert regen.parent == root.id and regen.branch_position is None


async def test_a_failed_write_is_a_notification(make_app):
    session = SessionStore().create("doomed")
    app = make_app(session=session)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        session.path.unlink()  # the next append cannot open the file
        await ask(pilot)
        app.recorder.wait()
        await pilot.pause()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("Could not journal" in m for m in messages), messages
        assert app.chat.conversation.turns[0].answer.result is not None  # the chat goes on


async def test_no_session_records_nothing(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        assert app.recorder is None
        assert SessionStore().list() == []


def test_tui_command_passes_session(monkeypatch):
    import tui.app
    from tui.cli.main import main

    seen = {}
    monkeypatch.setattr(tui.app, "run_tui", lambda *args, **kwargs: seen.update(kwargs) or 0)
    assert main(["tui", "--session", "my-exp", "--max-tokens", "40"]) == 0
    assert seen == {"session": "my-exp", "max_tokens": 40}


async def test_command_palette_opens_the_session_browser(make_app):
    from tui.screens.session_browser import SessionBrowser

    app = make_app(load_on_start=False)
    async with app.run_test(size=(100, 30)) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        title = next(t for t in commands if t.startswith("Sessions:"))
        app.call_later(commands[title].callback)  # as the palette runs it
        await settle(pilot)
        assert isinstance(app.screen, SessionBrowser)
