"""The branch tree model: a scripted conversation with forks of forks, nested and labelled."""

from __future__ import annotations

import math

from fake_backend import make_step

from tui.branch_tree_model import branch_label, branch_tree, cut, mean_logprob
from tui.conversation import Branch, Conversation


def _conversation() -> Conversation:
    convo = Conversation()
    turn = convo.add_turn("Is the sky blue?")
    root = convo.new_branch(0)
    root.extend([make_step(n, t) for n, t in enumerate(["Yes", ",", " the", " sky", " is", " blue", "."])])
    fork, _ = convo.fork(0, 0, 5, root.steps[5].top[1])  # branch 1 forks the root at 5
    fork.extend([make_step(0, " today"), make_step(1, ".")])
    grandchild, _ = convo.fork(0, 1, 6, fork.steps[6].top[2])  # branch 2 forks branch 1 at 6
    convo.fork(0, 0, 2, root.steps[2].top[1])  # branch 3 forks the root at 2
    regen = convo.new_branch(0)  # branch 4: a regeneration, a second root
    regen.extend([make_step(0, "No"), make_step(1, ".")])
    turn.active = 2
    convo.add_turn("And the grass?")
    return convo


def test_forks_nest_under_the_branch_they_fork_from():
    tree = branch_tree(_conversation())
    assert [t.turn for t in tree] == [0, 1]
    first = tree[0]
    assert [r.branch for r in first.roots] == [0, 4]
    root = first.roots[0]
    assert [c.branch for c in root.children] == [1, 3]
    assert [c.branch for c in root.children[0].children] == [2]
    assert first.count() == 5 and tree[1].count() == 0 and tree[1].user == "And the grass?"


def test_a_fork_says_where_it_forks_what_it_forced_and_how_likely_that_was():
    convo = _conversation()
    root = branch_tree(convo)[0].roots[0]
    fork = root.children[0]
    alt = convo.turns[0].branches[0].steps[5].top[1]
    assert (fork.fork_at, fork.forced, fork.replaced) == (5, alt.text, " blue")
    assert math.isclose(fork.fork_prob, math.exp(alt.logprob))
    assert fork.text == alt.text + " today."
    assert fork.cursor == 5 and root.cursor == 0 and root.fork_at is None and root.fork_prob is None
    grand = fork.children[0]
    assert grand.active and not fork.active and grand.replaced == " today"


def test_mean_logprob_is_over_the_branch_from_its_fork_on():
    convo = _conversation()
    branch = convo.turns[0].branches[1]
    node = branch_tree(convo)[0].roots[0].children[0]
    expected = sum(s.logprob for s in branch.steps[5:]) / len(branch.steps[5:])
    assert math.isclose(node.mean_logprob, expected)
    assert mean_logprob(Branch()) is None


def test_labels_are_cut_to_one_line():
    assert cut("a\nb", 10) == "a⏎b" and cut("abcdefgh", 4) == "abc…"
    node = branch_tree(_conversation())[0].roots[0].children[0]
    label = branch_label(node, width=8)
    assert label.startswith("  #2 · @5 ' blue'→") and "p=" in label and "mean lp" in label
    assert "\n" not in label
