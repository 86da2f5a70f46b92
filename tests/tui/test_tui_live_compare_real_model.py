"""The live compare screen on the real default model, an adapter on one side: ctrl+l compares the
chat's configuration (a random LoRA at scale 2) with base, each column shows exactly what a fresh
worker generates alone under that lane's configuration, the journaled comparison holds the same
numbers, and F3's teacher-forced run scores base on the adapter lane's answer as `score` does."""

from __future__ import annotations

import pytest
from pilot_helpers import settle

from adapters.random_lora import random_lora
from engine.types import AdapterSpec, GenerationRequest, Message, ModelConfig, SamplingSettings, ScoreRequest
from sessions import Session, SessionStore
from tui.app import LogitscopeApp
from tui.screens.live_compare import LiveCompareScreen
from tui.session_recorder import NewSession
from tui.widgets.compare_lanes import LaneColumn

QUESTION = "Name one colour of the rainbow."


@pytest.mark.model
async def test_real_model_compare_an_adapter_against_base(default_model, isolated_dirs):
    from engine.local import LocalBackend

    lora = str(random_lora(default_model, isolated_dirs / "tiny.gguf", rank=8, std=0.05, seed=3))
    adapters = (AdapterSpec(lora, 2.0),)
    config = ModelConfig(default_model, n_ctx=1024, adapters=adapters)
    backend = LocalBackend(config)
    app = LogitscopeApp(backend, sampling=SamplingSettings(temperature=0.0), max_tokens=12,
                        session=NewSession(SessionStore(), "real-compare"))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            app.screen.query_one("#message").value = QUESTION
            await pilot.press("ctrl+l")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, LiveCompareScreen)
            assert "Done" in str(screen.query_one("#lc-status").render()), screen.query_one("#lc-status").render()
            shown = [column.text.plain for column in screen.query(LaneColumn)]
            assert screen.comparison is not None and screen.comparison.result is not None
            sampled = screen.comparison.result
            await pilot.press("f3")
            await settle(pilot)
            forced = screen.comparison.result
            app.recorder.wait()
            saved = Session.open(app.recorder.session.path)
    finally:
        backend.close()
    assert sampled.names == ("current", "base") and forced.forced
    assert [r.names for r in saved.comparisons] == [("current", "base"), ("current", "base")]
    journaled = saved.comparisons[0]
    with LocalBackend(ModelConfig(default_model, n_ctx=1024)) as fresh:
        for lane, answer, text in zip(journaled.request.lanes, sampled.lanes, shown, strict=True):
            stream = fresh.generate(GenerationRequest((Message("user", QUESTION),), sampling=lane.sampling,
                                                      max_tokens=12, configuration=lane.configuration))
            list(stream)
            assert stream.result is not None
            alone = stream.result
            assert [s.id for s in answer.steps] == [s.id for s in alone.steps], lane.name
            assert [s.logprob for s in answer.steps] == pytest.approx([s.logprob for s in alone.steps], abs=1e-9)
            assert text.rstrip("∎") == alone.text
        assert journaled.result.lanes[0].text == sampled.lanes[0].text
        assert sampled.lanes[0].provenance.adapters == adapters and not sampled.lanes[1].provenance.adapters
        leader = tuple(s.id for s in forced.lanes[0].steps)
        assert leader == tuple(s.id for s in sampled.lanes[0].steps)  # the adapter lane's own answer
        scored = fresh.score(ScoreRequest((Message("user", QUESTION),), "", continuation_ids=leader,
                                          configuration=journaled.request.lanes[1].configuration))
        assert [s.logprob for s in forced.lanes[1].steps] == pytest.approx([s.logprob for s in scored.steps],
                                                                          abs=1e-9)
