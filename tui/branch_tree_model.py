"""The conversation's branches as a tree: what the branch tree screen (ctrl+t) shows, as plain data.

A turn's branches are a flat list in which a fork names its parent branch and the position whose
token it replaced (tui/conversation.py); Loom-style exploration wants them nested, each under the
branch it forks from, saying where it forks, what it forced there and how likely that was. This
module builds that shape from a Conversation without Textual, so it is tested on its own.

A branch's `mean_logprob` is over its own part of the answer: from its fork position on (the
forced token included) for a fork, every token for a first answer or a regeneration; the tokens
before the fork are its parent's and would blur the comparison between siblings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .conversation import Branch, Conversation


@dataclass(frozen=True)
class BranchNode:
    """One branch of a turn and the branches that fork from it (in the order they were made)."""

    turn: int  # index in the conversation
    branch: int  # index in the turn's branches
    fork_at: int | None  # the position whose token this branch replaced; None for a root
    forced: str  # the token it forced there ("" for a root)
    replaced: str  # the parent's token at that position ("" for a root)
    fork_prob: float | None  # the forced token's probability at the fork
    text: str  # the branch's answer from the fork on (all of it for a root)
    mean_logprob: float | None  # over the tokens from the fork on; None without any
    active: bool  # the branch the turn shows
    children: tuple[BranchNode, ...] = ()

    @property
    def cursor(self) -> int:
        """Where the token cursor goes when this branch is opened: its fork, else its start."""
        return self.fork_at if self.fork_at is not None else 0

    def count(self) -> int:
        """This branch and every branch below it."""
        return 1 + sum(child.count() for child in self.children)


@dataclass(frozen=True)
class TurnNode:
    """A user message and its answers: every root branch (first answer, regenerations) with its forks."""

    turn: int
    user: str
    roots: tuple[BranchNode, ...]

    def count(self) -> int:
        return sum(root.count() for root in self.roots)


def mean_logprob(branch: Branch, start: int = 0) -> float | None:
    """The mean log-probability of the branch's tokens from `start` on (None when there are none)."""
    steps = branch.steps[start:]
    return sum(s.logprob for s in steps) / len(steps) if steps else None


def _node(conversation: Conversation, turn_index: int, index: int, children_of: dict[int, list[int]]) -> BranchNode:
    turn = conversation.turns[turn_index]
    branch = turn.branches[index]
    fork = branch.fork_at if branch.parent is not None else None
    forced = replaced = ""
    fork_prob = None
    if fork is not None and fork < len(branch.steps):
        step = branch.steps[fork]
        forced, fork_prob = step.text or step.piece.decode("utf-8", "replace"), math.exp(step.logprob)
        parent = turn.branches[branch.parent] if branch.parent is not None else None
        if parent is not None and fork < len(parent.steps):
            old = parent.steps[fork]
            replaced = old.text or old.piece.decode("utf-8", "replace")
    start = fork or 0
    text = "".join(s.text for s in branch.steps[start:])
    children = tuple(_node(conversation, turn_index, c, children_of) for c in children_of.get(index, []))
    return BranchNode(turn_index, index, fork, forced, replaced, fork_prob, text,
                      mean_logprob(branch, start), index == turn.active, children)


def turn_tree(conversation: Conversation, turn_index: int) -> TurnNode:
    """One turn's branches nested under the branch each forks from."""
    turn = conversation.turns[turn_index]
    children_of: dict[int, list[int]] = {}
    roots: list[int] = []
    for n, branch in enumerate(turn.branches):
        if branch.parent is not None and 0 <= branch.parent < n:
            children_of.setdefault(branch.parent, []).append(n)
        else:
            roots.append(n)
    return TurnNode(turn_index, turn.user,
                    tuple(_node(conversation, turn_index, r, children_of) for r in roots))


def branch_tree(conversation: Conversation) -> list[TurnNode]:
    """Every turn of the conversation with its branch tree."""
    return [turn_tree(conversation, n) for n in range(len(conversation.turns))]


def cut(text: str, width: int) -> str:
    """One line of at most `width` characters (newlines shown as ⏎, an ellipsis where cut)."""
    line = text.replace("\n", "⏎")
    return line if len(line) <= width else line[:max(0, width - 1)] + "…"


def branch_label(node: BranchNode, width: int = 48) -> str:
    """What the tree shows for a branch: where it forks and with what, its mean logprob, its text."""
    parts = [f"#{node.branch + 1}"]
    if node.fork_at is not None:
        prob = f" p={node.fork_prob:.2f}" if node.fork_prob is not None else ""
        parts.append(f"@{node.fork_at} {node.replaced!r}→{node.forced!r}{prob}")
    if node.mean_logprob is not None:
        parts.append(f"mean lp {node.mean_logprob:.2f}")
    label = " · ".join(parts) + f"  {cut(node.text, width)!r}"
    return ("● " if node.active else "  ") + label


def turn_label(node: TurnNode, number: int, width: int = 60) -> str:
    """What the tree shows for a turn: its number (in the session), the user text (cut), branch count."""
    count = node.count()
    return f"Turn {number}: {cut(node.user, width)}  ({count} branch{'es' if count != 1 else ''})"
