"""Stray typing never fires an action: after an Escape, what you type goes to the message box.

A researcher pressed Escape (focus to the transcript) and went on typing "where are you": the
old single-letter keys fired `e` (edit last) and `r` (regenerate). Now every printable key typed
in the transcript lands in the message box, in order, and only [ ] stay keys there.
"""

from __future__ import annotations

from pilot_helpers import ask, settle, to_transcript


async def test_typing_in_the_transcript_goes_to_the_message_box_and_fires_nothing(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        requests = len(backend.requests)
        await pilot.press("escape")  # from the message box to the transcript
        assert app.screen.focused.id == "transcript"
        await pilot.press(*"where are you? 1, 2, 3")
        await settle(pilot)
        box = app.screen.query_one("#message")
        assert box.value == "where are you? 1, 2, 3"
        assert app.screen.focused is box
        turn = app.chat.conversation.turns[0]
        assert len(turn.branches) == 1  # no regeneration (r), no fork (1-3)
        assert not app.screen.editing  # no edit of the last message (e)
        assert len(backend.requests) == requests


async def test_brackets_stay_keys_in_the_transcript(make_app):
    app = make_app()
    app.backend.script = [["Yes", "."], ["No", "."]]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await pilot.press("f8")
        await settle(pilot)
        await to_transcript(pilot)
        await pilot.press("right", "[")
        turn = app.chat.conversation.turns[0]
        assert turn.active == 0 and app.screen.query_one("#message").value == ""


async def test_tab_goes_from_the_transcript_to_the_inspector(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await to_transcript(pilot)
        await pilot.press("tab")  # nothing answered yet: it says so, focus stays
        assert app.screen.focused.id == "transcript"
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("tab")
        assert app.screen.focused.id == "alternatives"
        assert app.screen.cursor is not None


async def test_new_conversation_works_from_the_message_box_too(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        box = app.screen.query_one("#message")
        box.focus()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.chat.conversation.turns == []
        assert app.screen.focused is box and box.value == ""


async def test_replay_keeps_its_letter_keys(make_app, tmp_path):
    from sessions import SessionStore
    from tui.screens.replay import ReplayScreen

    app = make_app(session=SessionStore().create("letters"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        app.recorder.wait()
        session = SessionStore().open("letters")
        app.push_screen(ReplayScreen(session))
        await settle(pilot)
        replay = app.screen
        before = replay.tint
        await pilot.press("t")
        assert replay.tint != before
        await pilot.press("l")
        assert replay.cursor is not None
