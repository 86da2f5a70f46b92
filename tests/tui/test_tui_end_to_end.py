"""End to end on the real default model: ask a question in the TUI and see tokens with probabilities."""

from __future__ import annotations

import pytest
from pilot_helpers import ask, settle, to_transcript

from engine.types import ModelConfig, SamplingSettings, SystemPrompt
from tui.app import LogitscopeApp
from tui.widgets.transcript import AnswerView


@pytest.mark.model
async def test_real_model_answers_with_token_probabilities(default_model):
    from engine.local import LocalBackend

    backend = LocalBackend(ModelConfig(default_model))
    app = LogitscopeApp(backend, SystemPrompt.none(), SamplingSettings(temperature=0.0), max_tokens=8)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)  # the model loads in a worker
            assert backend.info is not None and backend.info.n_vocab > 1000
            await ask(pilot, "What is the capital of France?")
            branch = app.chat.conversation.turns[0].answer
            assert branch.result is not None and branch.result.finish_reason in ("stop", "length")
            assert 0 < len(branch.steps) <= 8
            for step in branch.steps:
                assert 0.0 < step.prob <= 1.0 and step.top and step.entropy >= 0.0
            assert branch.text.strip() and branch.text in app.screen.query_one(AnswerView).text.plain
            await to_transcript(pilot)
            await pilot.press("home")
            summary = str(app.screen.query_one("#inspector-summary").render())
            assert f"p {branch.steps[0].prob:.3f}" in summary
            status = str(app.screen.query_one("#status").render())
            assert "tok/s" in status and f"/{backend.info.n_ctx}" in status
    finally:
        backend.close()
