"""Pilot tests of the inspector's sampler column: raw and post-sampler probabilities side by side,
the tokens the sampler removed still listed in their rows, greyed, with the stage that removed
them; greedy said as such; steps without a sampler view keep the single raw column; replay shows
the journaled view the same way."""

from __future__ import annotations

from dataclasses import replace

import fake_backend
import pytest
import session_fixtures
from pilot_helpers import settle, to_transcript

from engine.types import SampledToken, SamplerView, TokenStep
from tui.screens.replay import ReplayScreen
from tui.widgets.inspector import Inspector
from tui.widgets.sampler_rows import REMOVED_STYLE

PLAIN_STEP = fake_backend.make_step


def viewed(i: int, text: str, seed: int = 0) -> TokenStep:
    """The fake backend's step with a sampler view: the top three (and the chosen token) kept at
    a sharpened distribution, the fourth removed by top-p, the fifth by top-k; greedy every
    third position."""
    step = PLAIN_STEP(i, text, seed)
    if i % 3 == 2:
        others = tuple((alt.id, "greedy") for alt in step.top if alt.id != step.id)
        return replace(step, post=(SampledToken(step.id, step.text, 1.0),),
                       sampler=SamplerView(True, 1, step.prob, others))
    kept = [alt for n, alt in enumerate(step.top) if n < 3 or alt.id == step.id]
    weights = [alt.prob ** 2 for alt in kept]
    post = tuple(SampledToken(alt.id, alt.text, w / sum(weights)) for alt, w in zip(kept, weights, strict=True))
    cut = [alt for alt in step.top if alt not in kept]
    removed = tuple((alt.id, stage) for alt, stage in zip(cut, ("top-p", "top-k"), strict=False))
    mass = sum(alt.prob for alt in kept)
    return replace(step, post=tuple(sorted(post, key=lambda t: -t.prob)),
                   sampler=SamplerView(False, len(kept), mass, removed))


def rows(inspector: Inspector) -> list:
    options = inspector.query_one("#alternatives")
    return [options.get_option_at_index(n).prompt for n in range(options.option_count)]


def check_columns(inspector: Inspector, step: TokenStep) -> None:
    line = str(inspector.query_one("#inspector-sampler").render())
    assert inspector.query_one("#inspector-sampler").display
    assert "raw" in line and "post" in line
    labels = rows(inspector)
    assert len(labels) == len(step.top)  # removed tokens stay listed, in the raw order
    post = {t.id: t.prob for t in step.post}
    assert step.sampler is not None
    for alt, label in zip(step.top, labels, strict=True):
        assert f"{alt.prob:6.1%}" in label.plain
        stage = step.sampler.removed_by(alt.id)
        if stage:
            assert label.plain.rstrip().endswith(stage) and label.style == REMOVED_STYLE
        else:
            assert label.plain.rstrip().endswith(f"{post[alt.id]:.1%}") and label.style != REMOVED_STYLE


@pytest.fixture
def viewed_steps(monkeypatch):
    monkeypatch.setattr(fake_backend, "make_step", viewed)
    monkeypatch.setattr(session_fixtures, "make_step", viewed)


async def test_inspector_shows_raw_and_post_columns(make_app, viewed_steps):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#message").focus()
        await pilot.press(*"Is the sky blue?", "enter")
        await settle(pilot)
        await to_transcript(pilot)
        await pilot.press("home")
        inspector = app.screen.query_one(Inspector)
        step = app.chat.conversation.turns[0].answer.steps[0]
        assert step.sampler is not None and step.sampler.removed
        check_columns(inspector, step)
        line = str(inspector.query_one("#inspector-sampler").render())
        assert f"p {next(t.prob for t in step.post if t.id == step.id):.3f}" in line
        assert f"{step.sampler.kept} kept" in line
        assert sum(label.style == REMOVED_STYLE for label in rows(inspector)) == len(step.sampler.removed)
        await pilot.press("right", "right")  # a greedy position
        greedy = app.chat.conversation.turns[0].answer.steps[2]
        assert "greedy" in str(inspector.query_one("#inspector-sampler").render())
        check_columns(inspector, greedy)


async def test_steps_without_a_sampler_view_keep_the_raw_column(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#message").focus()
        await pilot.press(*"Is the sky blue?", "enter")
        await settle(pilot)
        await to_transcript(pilot)
        await pilot.press("home")
        inspector = app.screen.query_one(Inspector)
        assert not inspector.query_one("#inspector-sampler").display
        assert all(label.plain.rstrip().endswith("%") and "top-" not in label.plain for label in rows(inspector))


async def test_replay_shows_the_journaled_sampler_view(make_app, isolated_dirs, viewed_steps):
    session_fixtures.populate(isolated_dirs / "data")
    app = make_app(load_on_start=False)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot)
        browser = app.screen
        browser.query_one("#session-table").move_cursor(row=[i.id for i in browser.infos].index("geo"))
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReplayScreen)
        await pilot.press("right")  # the cursor onto the first token
        inspector = app.screen.query_one(Inspector)
        step = inspector._shown
        assert step is not None and step.sampler is not None
        check_columns(inspector, step)
