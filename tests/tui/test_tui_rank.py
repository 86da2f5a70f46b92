"""One rank convention everywhere: the JSON's 0-based rank (tokens more likely; 0 = top-1)."""

from __future__ import annotations

import random

from pilot_helpers import ask, settle, to_transcript

from sessions import SessionStore, record_turn, synthetic
from sessions.export import export_markdown
from sessions.html import export_html
from tui.cli.jsonout import step_record
from tui.tint import LEGENDS
from tui.widgets.inspector import rank_label


async def test_the_inspector_shows_the_json_rank_and_says_what_it_counts(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home")
        steps = app.chat.conversation.turns[0].answer.steps
        seen = set()
        for n, step in enumerate(steps):
            summary = str(app.screen.query_one("#inspector-summary").render())
            rank = step_record(step)["rank"]
            assert f"rank {rank} (" in summary, (n, summary)
            assert ("rank 0 (top-1)" in summary) == (rank == 0)
            seen.add(rank == 0)
            await pilot.press("right")
        assert seen == {True, False}  # both a top-1 token and one with more likely tokens


def test_rank_label():
    assert rank_label(0) == "rank 0 (top-1)"
    assert rank_label(3) == "rank 3 (3 more likely)"


def test_the_rank_tint_legend_names_the_0_based_rank():
    assert "rank = tokens more likely" in LEGENDS["rank"]
    assert "green 0" in LEGENDS["rank"]


def test_exports_state_the_rank_convention(tmp_path):
    store = SessionStore(tmp_path)
    s = store.create("ranks")
    record_turn(s, *synthetic.generation(random.Random(4), 30))
    session = store.open(s.id)
    step = next(x for x in session.turns[0].steps if x.rank > 0)
    page = export_html(session)
    assert f"#{step.i} id {step.id} · p {step.prob:.3f} · rank {step.rank} ·" in page
    assert "rank: tokens more likely than the chosen one (0 = top-1)" in page
    text = export_markdown(session)
    assert f"| {step.prob:.3f} | {step.rank} |" in text
    assert "rank: how many tokens were more likely than the chosen one (0 = top-1)." in text
