"""Forced choice from the chat on the real default model: the modal's numbers are the engine's.

After a real answer in the chat, ctrl+y then Enter scores "Yes" and "No" for that turn under the
chat's system prompt; the table shows what a fresh worker's `choose` gives for the same request,
and a second Enter on edited options scores the new set. The choice is journaled and replays.
"""

from __future__ import annotations

import math

import pytest
from pilot_helpers import ask, settle

from engine.types import (
    ChoiceMode,
    ChoiceRequest,
    Configuration,
    Message,
    ModelConfig,
    SamplingSettings,
    SystemPrompt,
)
from sessions import SessionStore, TurnKind
from tui.app import LogitscopeApp
from tui.screens.choice import ChoiceScreen
from tui.session_recorder import NewSession
from tui.widgets.choice_table import ChoiceTable, raw_text


@pytest.mark.model
async def test_real_model_yes_no_from_the_chat_equals_a_fresh_choose(default_model, isolated_dirs):
    from engine.local import LocalBackend

    system = SystemPrompt.custom("Answer with one word.")
    backend = LocalBackend(ModelConfig(default_model))
    store = SessionStore()
    app = LogitscopeApp(backend, system, SamplingSettings(temperature=0.0), max_tokens=4,
                        session=NewSession(store, "real-choice"))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await ask(pilot, "Is the sky blue?")
            await pilot.press("ctrl+y")
            await settle(pilot)
            assert isinstance(app.screen, ChoiceScreen)
            await pilot.press("enter")
            await settle(pilot)
            table = app.screen.query_one(ChoiceTable)
            shown = [(str(table.get_cell(f"option-{i}", "p0")), str(table.get_cell(f"option-{i}", "raw0")))
                     for i in range(2)]
            await pilot.press(*", Maybe", "enter")
            await settle(pilot)
            assert app.screen.query_one(ChoiceTable).row_count == 4
            app.recorder.wait()
    finally:
        backend.close()
    request = app.recorder.session.turns[0].request  # the answer, then the two choices
    assert request.messages == (Message("user", "Is the sky blue?"),)
    with LocalBackend(ModelConfig(default_model)) as fresh:
        expected = fresh.choose(ChoiceRequest(request.messages, ("Yes", "No"), system, ChoiceMode.COMPLETE,
                                              configuration=Configuration(system=system)))
    assert [p.split()[-1] for p, _ in shown] == [f"{o.prob:.1%}" for o in expected.options]
    assert [r for _, r in shown] == [raw_text(o.raw_prob) for o in expected.options]
    session = store.open("real-choice")
    kinds = [t.kind for t in session.turns]
    assert kinds == [TurnKind.GENERATION, TurnKind.CHOICE, TurnKind.CHOICE]
    first_choice = session.turns[1].result
    assert [o.text for o in first_choice.options] == ["Yes", "No"]
    assert math.isclose(sum(o.prob for o in first_choice.options), 1.0, rel_tol=1e-9)
    assert 0 < first_choice.mass <= 1
    assert [o.prob for o in first_choice.options] == pytest.approx([o.prob for o in expected.options], rel=1e-9)
