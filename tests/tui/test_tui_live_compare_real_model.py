"""The live compare screen on the real default model, an adapter on one side: ctrl+l compares the
chat's configuration (a random LoRA at scale 2) with base, each column shows exactly what a fresh
worker generates alone under that lane's configuration, the journaled comparison holds the same
numbers, and F3's teacher-forced run scores base on the adapter lane's answer as `score` does.
A configs file's lane on a second model (a copy of the default model's file) runs in a worker of
its own: the screen shows the file's size and then the worker's measured resident memory, both
lanes answer alike (the same weights), and closing the screen stops that worker.

The second-model lane is a test of its own rather than a third step of the first: the first
already takes ~45 s on this 2-core machine, and a second worker adds a model load."""

from __future__ import annotations

import os
import shutil

import pytest
from pilot_helpers import settle

from adapters.random_lora import random_lora
from engine.process_memory import resident_bytes
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


@pytest.mark.model
async def test_real_model_a_lane_on_a_second_model_costs_a_worker_released_on_close(default_model, isolated_dirs):
    from engine.local import LocalBackend

    second = isolated_dirs / "second.gguf"
    shutil.copyfile(default_model, second)
    configs = isolated_dirs / "configs.toml"
    configs.write_text('[here]\n[there]\nmodel = "second.gguf"\n', encoding="utf-8")
    backend = LocalBackend(ModelConfig(default_model, n_ctx=512))
    app = LogitscopeApp(backend, sampling=SamplingSettings(temperature=0.0), max_tokens=6)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            app.screen.query_one("#message").value = QUESTION
            await pilot.press("ctrl+l")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, LiveCompareScreen)
            screen.query_one("#lc-configs").value = str(configs)
            await pilot.press("f5")
            await settle(pilot)
            assert "Done" in str(screen.query_one("#lc-status").render()), screen.query_one("#lc-status").render()
            [extra] = [w for w in backend.worker_memory() if w.extra]
            assert extra.model_path == str(second.resolve()) and (extra.resident_bytes or 0) > 50_000_000
            size = round(os.path.getsize(second) / 1e6)
            shown = str(screen.query_one("#lc-workers").render())
            assert (f"lane there runs on second.gguf in a second worker (its own memory: about {size} MB, "
                    "the model file)") in shown
            assert "second worker second.gguf: " in shown and " MB resident; the loaded model's worker: " in shown
            result = screen.comparison.result if screen.comparison is not None else None
            assert result is not None and result.names == ("here", "there")
            assert [s.id for s in result.lanes[0].steps] == [s.id for s in result.lanes[1].steps]
            await pilot.press("escape")
            await settle(pilot)
            assert screen.releasing is not None
            screen.releasing.join(10)
            assert not [w for w in backend.worker_memory() if w.extra]
            assert resident_bytes(extra.pid) is None  # the second worker's process is gone
    finally:
        backend.close()
