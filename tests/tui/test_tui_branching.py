"""Branching: pick an alternative at the cursor, continue from it, and return to the original."""

from __future__ import annotations

from pilot_helpers import ask, settle, to_transcript

from tui.widgets.transcript import AnswerView


async def test_a_number_key_in_the_inspector_forks_at_the_cursor_with_continue_from(make_app, backend):
    backend.script = [["Yes", ",", " the", " sky", " is", " blue", "."], [" green", "."]]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home", "right", "right", "right", "right", "right")  # " blue"
        original = app.chat.conversation.turns[0].answer
        step = original.steps[5]
        await pilot.press("tab", "2")  # the inspector's row 2
        await settle(pilot)
        turn = app.chat.conversation.turns[0]
        assert len(turn.branches) == 2 and turn.active == 1
        request = backend.requests[-1]
        assert request.continue_from == original.token_ids[:5] + (step.top[1].id,)
        assert request.max_tokens == app.chat.max_tokens - 6
        forked = turn.answer
        assert forked.steps[5].forced and forked.steps[5].text == step.top[1].text
        assert forked.text == "Yes, the sky is" + step.top[1].text + " green."
        assert [s.i for s in forked.steps] == list(range(len(forked.steps)))
        view = app.screen.query_one(AnswerView)
        assert "branch 2/2" in view.text.plain and "forked from 1 at token 5" in view.text.plain


async def test_enter_on_an_inspector_alternative_forks_too(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home", "tab")
        assert app.screen.focused.id == "alternatives"
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        step0 = app.chat.conversation.turns[0].branches[0].steps[0]
        assert backend.requests[-1].continue_from == (step0.top[2].id,)
        assert app.chat.conversation.turns[0].active == 1


async def test_brackets_switch_back_to_the_original_branch(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home", "tab", "3")
        await settle(pilot)
        turn = app.chat.conversation.turns[0]
        forked_text = turn.answer.text
        await pilot.press("[")
        assert turn.active == 0
        view = app.screen.query_one(AnswerView)
        assert "branch 1/2" in view.text.plain and "Yes, the sky is blue." in view.text.plain
        await pilot.press("]")
        assert turn.active == 1 and forked_text in view.text.plain


async def test_next_turn_continues_from_the_active_branch(make_app, backend):
    backend.script = [["Yes", "."], ["No", "."], ["Ok"]]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot, "first")
        await pilot.press("f8")
        await settle(pilot)
        await to_transcript(pilot)
        await pilot.press("right", "[")  # back to "Yes."
        await ask(pilot, "second")
        assert [m.content for m in backend.requests[-1].messages] == ["first", "Yes.", "second"]
