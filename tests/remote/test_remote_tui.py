"""The TUI on a real llama-server (tests/remote/conftest.py): the app opens on a RemoteBackend,
the model panel names the server, a question is answered by it, and the inspector marks the
step's entropy as over the server's top-k + rest."""

from __future__ import annotations

import asyncio

import pytest

from engine.remote import RemoteBackend
from engine.types import SamplingSettings, SystemPrompt
from tui.app import LogitscopeApp

pytestmark = pytest.mark.remote


async def _settle(pilot) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass
        await pilot.pause()


def test_the_tui_on_a_remote_engine_marks_its_steps(llama_server, tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LOGITSCOPE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    backend = RemoteBackend(llama_server)
    app = LogitscopeApp(backend, system=SystemPrompt(), sampling=SamplingSettings(temperature=0.0, seed=1),
                        max_tokens=6)

    async def run() -> None:
        async with app.run_test(size=(140, 40)) as pilot:
            await _settle(pilot)
            info = str(app.screen.query_one("#model-info").render())
            assert f"remote engine {llama_server}" in info and "llamacpp" in info
            app.screen.query_one("#message").focus()
            await pilot.press(*"Name a colour.", "enter")
            for _ in range(200):  # the server answers in well under a second a token
                await _settle(pilot)
                answer = app.chat.conversation.turns[0].answer
                if app.screen.job is None and answer is not None and answer.steps:
                    break
            steps = app.chat.conversation.turns[0].answer.steps
            assert steps and all(s.distribution == "top-k+rest" for s in steps)
            app.screen.query_one("#transcript").focus()
            await pilot.press("home")
            await pilot.pause()
            summary = str(app.screen.query_one("#inspector-summary").render())
            assert f"entropy ≥{steps[0].entropy:.2f} nats (top-k + rest)" in summary
            assert "top-k+rest (H ≥)" in str(app.screen.query_one("#status").render())

    try:
        asyncio.run(run())
    finally:
        backend.close()
