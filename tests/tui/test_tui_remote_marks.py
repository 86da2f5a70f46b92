"""A remote engine's steps (entropy and rank over its top-k + rest) are marked in the TUI: the
inspector, the plot's entropy label and the status bar; a local ("full") answer shows none."""

from __future__ import annotations

import math
from dataclasses import replace

import fake_backend
from fake_backend import FakeBackend, FakeRemoteBackend
from pilot_helpers import ask, settle, to_transcript

from engine.types import SamplingSettings, SystemPrompt
from tui.app import LogitscopeApp
from tui.widgets.plot import entropy_label
from tui.widgets.status_bar import StatusBar


def _app(backend) -> LogitscopeApp:
    return LogitscopeApp(backend, system=SystemPrompt(), sampling=SamplingSettings(temperature=0.0, seed=1))


def _summary(app) -> str:
    return str(app.screen.query_one("#inspector-summary").render())


async def test_the_inspector_marks_a_remote_step_and_its_plot_and_status_bar():
    app = _app(FakeRemoteBackend())
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home")
        summary = _summary(app)
        step = app.chat.conversation.turns[0].answer.steps[0]
        assert f"entropy ≥{step.entropy:.2f} nats (top-k + rest)" in summary
        assert f"eff. vocab ≥{step.effective_vocab:.1f}" in summary
        assert f"top-1 {step.top1_prob:.2f}" in summary  # exact: no mark
        label = str(app.screen.query_one("#entropy-label").render())
        assert "mean ≥" in label and "max ≥" in label
        bar = str(app.screen.query_one(StatusBar).render())
        assert "remote-model @ 127.0.0.1:8080" in bar
        assert "top-k+rest (H ≥)" in bar


async def test_a_local_answer_has_no_marks():
    app = _app(FakeBackend())
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home")
        summary = _summary(app)
        assert "≥" not in summary and "top-k" not in summary
        assert "≥" not in str(app.screen.query_one("#entropy-label").render())
        bar = str(app.screen.query_one(StatusBar).render())
        assert "top-k" not in bar and "@" not in bar


ORIGINAL = fake_backend.make_step


def outside(i: int, text: str, seed: int = 0):
    """make_step, but at position 1 the chosen token is not among the top-k the server reported."""
    step = ORIGINAL(i, text, seed)
    if i != 1 or not text:
        return step
    others = tuple(a for a in step.top if a.id != step.id)
    return replace(step, top=others, rank=len(others), logprob=math.log(0.01))


async def test_a_rank_outside_the_top_k_is_a_bound(monkeypatch):
    monkeypatch.setattr(fake_backend, "make_step", outside)
    app = _app(FakeRemoteBackend())
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home")
        assert "≥" not in _summary(app).split("\n")[1]  # an exact rank: the token is in the top-k
        await pilot.press("right")
        assert "rank ≥4 (outside the top-k)" in _summary(app)


def test_entropy_label_marks_a_mixed_answer():
    full = fake_backend.make_step(0, "Yes")
    remote = replace(full, distribution="top-k+rest")
    assert entropy_label([full], [full.entropy]).startswith("entropy  mean 0.")
    assert "≥" not in entropy_label([full], [full.entropy])
    assert "≥" in entropy_label([full, remote], [full.entropy, remote.entropy])


async def test_the_live_compare_inspector_marks_approximate_pairs():
    from test_tui_live_compare import open_compare

    for backend, marked in ((FakeRemoteBackend(), True), (FakeBackend(), False)):
        app = LogitscopeApp(backend, system=SystemPrompt(), sampling=SamplingSettings(temperature=0.0, seed=1),
                            load_on_start=False)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_compare(pilot)
            await pilot.press("home", "right", "right", "right")
            header = str(screen.query_one("#compare-inspector-header").render())
            assert ("JS ≈" in header and "KL/JS over the lanes' top-k + rest" in header) == marked, header
            assert marked or "≈" not in header
