"""Expand (ctrl+e): the top-N alternatives at the cursor grown M tokens deep, greedy, one branch each."""

from __future__ import annotations

import asyncio

from pilot_helpers import ask, settle, to_transcript

from engine.types import SamplingSettings
from sessions import Session, SessionStore
from tui.config import Settings
from tui.screens.branch_tree import BranchTreeScreen, BranchTreeView
from tui.session_recorder import NewSession


def _settings(top: int = 3, depth: int = 3) -> Settings:
    return Settings(expand_top=top, expand_depth=depth)


async def test_expand_makes_n_minus_1_greedy_branches_of_depth_m_journaled(make_app, backend):
    app = make_app(_settings(), sampling=SamplingSettings(temperature=0.8, seed=1),
                   session=NewSession(SessionStore(), "expand"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home", *["right"] * 5)  # " blue", the top-1 token there
        step = app.chat.conversation.turns[0].answer.steps[5]
        prefix = app.chat.conversation.turns[0].answer.token_ids[:5]
        asked = len(backend.requests)
        await pilot.press("ctrl+e")
        for _ in range(10):
            await settle(pilot)
        turn = app.chat.conversation.turns[0]
        expected = [alt for alt in step.top[:3] if alt.id != step.id]
        assert len(expected) == 2 and len(turn.branches) == 3
        requests = backend.requests[asked:]
        assert [r.continue_from for r in requests] == [prefix + (alt.id,) for alt in expected]
        assert all(r.max_tokens == 3 and r.sampling.greedy for r in requests)
        for branch, alt in zip(turn.branches[1:], expected, strict=True):
            assert (branch.parent, branch.fork_at) == (0, 5) and branch.steps[5].id == alt.id
            assert len(branch.steps) == 6 + 3 and branch.finish_reason == "length"
        assert turn.active == 0 and app.screen.cursor == (0, 5)  # back where it forked from
        assert app.chat.sampling.temperature == 0.8  # the chat's own settings are left alone
        app.recorder.wait()
        saved = Session.open(app.recorder.path).turns
        assert len(saved) == 3
        assert [(t.parent, t.branch_position) for t in saved[1:]] == [(saved[0].id, 5)] * 2
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, BranchTreeScreen)
        root = app.screen.query_one(BranchTreeView).root.children[0].children[0]
        assert [c.data for c in root.children] == [(0, 1, 5), (0, 2, 5)]


async def test_escape_stops_the_expand(make_app, backend):
    app = make_app(_settings(top=4))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home", *["right"] * 5)
        backend.hold_after = 1
        await pilot.press("ctrl+e")
        assert await asyncio.to_thread(backend.holding.wait, 5)
        await pilot.press("escape")
        backend.release.set()
        for _ in range(6):
            await settle(pilot)
        turn = app.chat.conversation.turns[0]
        assert len(turn.branches) == 2  # the one streaming, cancelled; the other two never started
        assert turn.branches[1].finish_reason == "cancelled"
        assert app.screen.expansion is None and app.screen.job is None
        assert turn.active == 0 and app.screen.cursor == (0, 5)


async def test_expand_needs_a_token_under_the_cursor(make_app, backend):
    app = make_app(_settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await to_transcript(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert backend.requests == [] and app.screen.expansion is None
