"""End to end on the real default model: ask a question in the TUI and see tokens with probabilities."""

from __future__ import annotations

import pytest
from pilot_helpers import ask, settle, to_transcript

from engine.types import ModelConfig, SamplingSettings, SystemPrompt
from tui.app import LogitscopeApp
from tui.screens.text_modal import ErrorModal
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



class KilledMidAnswer:
    """A real generation whose worker is killed (SIGKILL) once the answer's third token is in."""

    def __init__(self, backend, stream) -> None:
        self.backend, self.stream = backend, stream

    @property
    def steps(self):
        return self.stream.steps

    @property
    def result(self):
        return self.stream.result

    def __iter__(self):
        for step in self.stream:
            yield step
            if step.i == 2:
                self.backend.kill_worker()


@pytest.mark.model
async def test_real_worker_killed_mid_answer_keeps_and_journals_the_tokens_it_sent(default_model):
    from engine.fingerprint import file_sha256
    from engine.local import LocalBackend
    from sessions import Session, SessionStore

    class KillingBackend(LocalBackend):
        def generate(self, request):
            return KilledMidAnswer(self, super().generate(request))

    backend = KillingBackend(ModelConfig(default_model))
    session = SessionStore().create("killed")
    app = LogitscopeApp(backend, SystemPrompt.none(), SamplingSettings(temperature=0.0), max_tokens=200,
                        session=session)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await ask(pilot, "Tell me a long story about a cat.")
            assert isinstance(app.screen, ErrorModal)  # with llama.cpp's log tail
            await pilot.press("escape")
            branch = app.chat.conversation.turns[0].answer
            assert "SIGKILL" in branch.error and branch.finish_reason == "error"
            assert len(branch.steps) >= 3  # every step the worker sent before it died
            assert branch.text and branch.text in app.screen.query_one(AnswerView).text.plain
            app.recorder.wait()
            turn = Session.open(session.path).turns[0]
            assert turn.result.finish_reason == "error" and "SIGKILL" in turn.note
            assert [s.id for s in turn.steps] == list(branch.token_ids)
            assert turn.result.text == branch.text
            assert turn.provenance.model_sha256 == file_sha256(default_model)
    finally:
        backend.close()
