"""The branch tree screen (ctrl+t; g in replay): navigation, Enter opens a branch at its fork, Esc."""

from __future__ import annotations

from pilot_helpers import ask, settle, to_transcript

from tests.tui.test_tui_replay_forks import branchy_session
from tui.screens.branch_tree import BranchTreeScreen, BranchTreeView
from tui.screens.replay import ReplayScreen


async def _two_forks(pilot) -> None:
    """An answer, a fork of it at token 5, and a fork of that fork at token 6."""
    await ask(pilot)
    await to_transcript(pilot)
    await pilot.press("home", *["right"] * 5, "tab", "2")
    await settle(pilot)
    await to_transcript(pilot)
    await pilot.press("home", *["right"] * 6, "tab", "3")
    await settle(pilot)


def _labels(tree: BranchTreeView) -> list[str]:
    out, stack = [], [tree.root]
    while stack:
        node = stack.pop()
        if node is not tree.root:
            out.append(node.label.plain)
        stack.extend(reversed(node.children))
    return out


async def test_ctrl_t_shows_every_branch_nested_under_its_fork(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _two_forks(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, BranchTreeScreen)
        tree = app.screen.query_one(BranchTreeView)
        turn = tree.root.children[0]
        assert turn.label.plain.startswith("Turn 1: Is the sky blue?") and "(3 branches)" in turn.label.plain
        root = turn.children[0]
        assert root.data == (0, 0, 0) and root.children[0].data == (0, 1, 5)
        assert root.children[0].children[0].data == (0, 2, 6)
        labels = _labels(tree)
        assert "@5 ' blue'→" in labels[2] and "mean lp" in labels[2]
        assert labels[3].startswith("● #3 · @6")  # the active branch
        assert tree.cursor_node.data == (0, 2, 6)  # the cursor starts on the active branch


async def test_arrows_move_collapse_and_expand_and_enter_opens_the_branch_at_its_fork(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _two_forks(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        tree = app.screen.query_one(BranchTreeView)
        await pilot.press("left")  # a leaf: up to its parent
        assert tree.cursor_node.data == (0, 1, 5)
        await pilot.press("left")  # collapse it
        assert not tree.cursor_node.is_expanded
        await pilot.press("right")
        assert tree.cursor_node.is_expanded
        await pilot.press("right")  # expanded: down to its first child
        assert tree.cursor_node.data == (0, 2, 6)
        await pilot.press("up", "up")
        assert tree.cursor_node.data == (0, 0, 0)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, BranchTreeScreen)
        assert app.chat.conversation.turns[0].active == 1
        assert app.screen.cursor == (0, 5)


async def test_escape_goes_back_and_changes_nothing(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _two_forks(pilot)
        cursor = app.screen.cursor
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("up", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, BranchTreeScreen)
        assert app.chat.conversation.turns[0].active == 2 and app.screen.cursor == cursor


async def test_ctrl_t_without_answers_says_so(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert not isinstance(app.screen, BranchTreeScreen)


async def test_replay_g_opens_the_tree_read_only_and_enter_shows_the_branch(make_app):
    app = make_app(load_on_start=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(ReplayScreen(branchy_session()))
        await settle(pilot)
        replay = app.screen
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, BranchTreeScreen) and app.screen.read_only
        tree = app.screen.query_one(BranchTreeView)
        assert [c.data for c in tree.root.children[0].children[0].children] == [(0, 1, 2), (0, 2, 2)]
        tree.move_cursor(tree.root.children[0].children[0].children[0])
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is replay
        assert replay.chat.conversation.turns[0].active == 1 and replay.cursor == (0, 2)
        assert len(replay.chat.conversation.turns[0].branches) == 3  # nothing added
