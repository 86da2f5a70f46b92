"""Forced choice from the chat (ctrl+y): the question it scores, the configurations compared, the
table's numbers, re-scoring, journaling and replay."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fake_backend import FakeBackend
from pilot_helpers import ask, settle, to_transcript

from engine.errors import EngineError
from engine.types import AdapterSpec, ChoiceMode, Message, SystemPrompt
from sessions import SessionStore, TurnKind
from tui.choice_model import ChoiceQuestion, configurations, parse_options, question_for
from tui.conversation import Conversation
from tui.replay_model import build_turn, group_turns
from tui.screens.choice import ChoiceScreen
from tui.session_recorder import NewSession
from tui.widgets.choice_table import ChoiceTable, prob_bar

SIZE = (100, 30)
HELLO = AdapterSpec("/adapters/hello.gguf", 1.0)


def cell(table: ChoiceTable, row: str, column: str) -> str:
    return str(table.get_cell(row, column))


@pytest.mark.parametrize("text, options", [
    ("Yes, No", ("Yes", "No")),
    ('"Yes, definitely", No', ("Yes, definitely", "No")),
    ("Yes, definitely\nNo\n\n", ("Yes, definitely", "No")),
    (" A , B, A, ", ("A", "B")),
    ("", ()),
])
def test_options_parse_one_per_line_or_comma_separated(text, options):
    assert parse_options(text) == options


def test_question_is_the_typed_text_else_the_cursor_turn_with_its_history():
    convo = Conversation()
    first = convo.add_turn("Is the sky blue?")
    convo.new_branch(0)
    assert question_for(convo, "  ", None) == ChoiceQuestion(first.user, (), "turn 1")
    convo.add_turn("And the sea?")
    # the second turn's prompt carries the first exchange (its answer is empty here)
    assert question_for(convo, "", None) == ChoiceQuestion(
        "And the sea?", (Message("user", "Is the sky blue?"), Message("assistant", "")), "turn 2")
    assert question_for(convo, "", 0).history == ()
    typed = question_for(convo, " Really? ", 0)
    assert typed is not None and typed.text == "Really?" and len(typed.history) == 3  # turn 2 has no answer yet
    assert question_for(Conversation(), "", None) is None


def test_base_comparison_drops_the_adapters_and_keeps_the_system_prompt():
    system = SystemPrompt.custom("Be brief.")
    current, base, no_system = configurations(system, (HELLO,), ("base", "no-system"))
    assert (current.configuration.adapters, current.configuration.system) == ((HELLO,), system)
    assert (base.configuration.adapters, base.configuration.system) == ((), system)
    assert (no_system.configuration.adapters, no_system.configuration.system) == ((HELLO,), SystemPrompt())
    with pytest.raises(ValueError, match="unknown comparison"):
        configurations(system, (), ("other",))


def test_bar_is_proportional():
    assert prob_bar(1.0) == "█" * 10 and prob_bar(0.0) == " " * 10 and prob_bar(0.55).startswith("█████▌")


async def test_ctrl_y_then_enter_scores_yes_and_no_for_the_typed_question(make_app, backend):
    app = make_app(system=SystemPrompt.custom("Be honest."), load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Do you like tea?", "ctrl+y")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")
        await settle(pilot)
        [request] = backend.choice_requests
        assert request.options == ("Yes", "No") and request.mode is ChoiceMode.COMPLETE
        assert request.messages == (Message("user", "Do you like tea?"),)
        assert request.configuration is not None
        assert request.configuration.system == SystemPrompt.custom("Be honest.")
        assert request.configuration.adapters == ()
        expected = FakeBackend().choose(request)
        table = app.screen.query_one(ChoiceTable)
        assert table.row_count == 3 and len(table.columns) == 4  # Yes, No, mass; option + 1 x 3
        for i, option in enumerate(expected.options):
            assert cell(table, f"option-{i}", "option") == option.text
            assert f"{option.prob:6.1%}" in cell(table, f"option-{i}", "p0")
        assert cell(table, "option-0", "rank0") == "#1" and cell(table, "option-1", "rank0") == "#2"
        assert cell(table, "mass", "p0") == f"{expected.mass:.4f}"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceScreen)
        assert app.screen.query_one("#message").value == "Do you like tea?"  # the draft is kept


async def test_with_adapters_on_the_base_column_is_there_and_differs(backend, make_app):
    backend.config = replace(backend.config, adapters=(HELLO,))
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Any backdoor?", "ctrl+y")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        current, base = backend.choice_requests
        assert current.configuration.adapters == (HELLO,) and base.configuration.adapters == ()
        table = app.screen.query_one(ChoiceTable)
        assert len(table.columns) == 7
        assert [str(c.label) for c in table.columns.values()][1::3] == ["current: P", "base: no adapters: P"]
        # the adapter tilts the fake's options: the two columns do not show the same numbers
        assert cell(table, "option-1", "p0") != cell(table, "option-1", "p1")


async def test_editing_rescoring_and_comparisons_score_only_what_is_new(make_app, backend):
    app = make_app(system=SystemPrompt.custom("Be brief."), load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Is it raining?", "ctrl+y")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # the same request again: shown from what was scored
        await settle(pilot)
        assert len(backend.choice_requests) == 1
        await pilot.press(*", Maybe", "enter")
        await settle(pilot)
        assert backend.choice_requests[-1].options == ("Yes", "No", "Maybe")
        assert app.screen.query_one(ChoiceTable).row_count == 4
        await pilot.press("f3")  # add a column without the system prompt: scored at once, alone
        await settle(pilot)
        assert len(backend.choice_requests) == 3
        assert backend.choice_requests[-1].configuration.system == SystemPrompt()
        assert len(app.screen.query_one(ChoiceTable).columns) == 7
        await pilot.press("f2")  # no adapters are on: the base column is the current request's
        await settle(pilot)
        assert len(backend.choice_requests) == 3
        table = app.screen.query_one(ChoiceTable)
        assert len(table.columns) == 10 and cell(table, "option-2", "p0") == cell(table, "option-2", "p1")


async def test_the_cursor_turn_is_scored_with_its_history(make_app, backend):
    backend.script = [["Yes", "."], [" No", "."]]
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "Is the sky blue?")
        await ask(pilot, "Is the sea red?")
        await pilot.press("ctrl+y", "enter")  # no cursor: the last turn
        await settle(pilot)
        assert backend.choice_requests[-1].messages == (
            Message("user", "Is the sky blue?"), Message("assistant", "Yes."), Message("user", "Is the sea red?"))
        await pilot.press("escape")
        await to_transcript(pilot)
        await pilot.press("up", "up", "right")
        await settle(pilot)
        assert app.screen.cursor is not None and app.screen.cursor[0] == 0
        await pilot.press("ctrl+y", "enter")
        await settle(pilot)
        assert backend.choice_requests[-1].messages == (Message("user", "Is the sky blue?"),)


async def test_a_choice_is_journaled_and_replays_as_a_choice_turn(make_app, backend, isolated_dirs):
    store = SessionStore()
    app = make_app(load_on_start=False, session=NewSession(store, "choices"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Do you like tea?", "ctrl+y", "enter")
        await settle(pilot)
        app.recorder.wait()
        assert "journaled" in str(app.screen.query_one("#choice-status").render())
    session = store.open("choices")
    [turn] = session.turns
    assert turn.kind is TurnKind.CHOICE
    expected = FakeBackend().choose(backend.choice_requests[0])
    assert [o.prob for o in turn.result.options] == [o.prob for o in expected.options]
    assert turn.request.configuration == backend.choice_requests[0].configuration
    replayed = build_turn(session, group_turns(session)[0])
    assert replayed.answer.result.finish_reason == "choice: " + ", ".join(
        f"{o.text!r} {o.prob:.2f}" for o in expected.options)


async def test_an_engine_error_is_shown_in_the_modal(make_app, backend):
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Why?", "ctrl+y")
        await settle(pilot)
        backend.fail_next = EngineError("The worker is gone.")
        await pilot.press("enter")
        await settle(pilot)
        assert "Could not score the options: The worker is gone." in str(
            app.screen.query_one("#choice-status").render())
        await pilot.press("enter")  # the next try works
        await settle(pilot)
        assert app.screen.query_one(ChoiceTable).row_count == 3


async def test_without_a_question_ctrl_y_says_what_to_do(make_app):
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert not isinstance(app.screen, ChoiceScreen)
        assert any("Type a question" in n.message for n in app._notifications)
