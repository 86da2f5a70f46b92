"""Expand (ctrl+e): grow the top alternatives at the token cursor a few tokens deep, one branch each.

So a user sees where each alternative would lead without forking them one by one: the top
`expand_top` alternatives at the cursor ([explore] of the config file), the chosen token skipped,
each become a fork of the cursor's branch at that position (Conversation.fork, as the inspector's
1-5 do) and are generated in turn through the same path (start_generation with the fork's
continue_from), greedy (temperature 0) and `expand_depth` tokens long; each is journaled like any
branch when it ends. The next one starts when the previous one's GenerationEnded has been handled
(EngineTasks records it first: this mixin comes after it in the screen's bases, and Textual calls
every base's handler in that order). Esc stops the one streaming and drops the rest. When it is
over the cursor's branch is the active one again, the cursor back on the fork, and the branch tree
(ctrl+t) shows the new branches under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from engine.types import TokenAlternative

from .. import messages as m
from .host import ChatHost
from .navigation import set_cursor


@dataclass
class Expansion:
    """An expand under way: where it forks, what is left to grow, and how it went so far."""

    turn: int
    branch: int  # the branch the forks are made from
    position: int
    depth: int
    pending: list[TokenAlternative] = field(default_factory=list)
    total: int = 0
    done: int = 0
    job: object | None = None  # the StreamJob of the fork streaming now
    stopped: bool = False  # Esc: the rest dropped, the one streaming cancelled


class ExpandHost(ChatHost, Protocol):
    expansion: Expansion | None


def alternatives_to_expand(top: tuple[TokenAlternative, ...], chosen: int, n: int) -> list[TokenAlternative]:
    """The top-`n` alternatives at a position, less the token already chosen there."""
    return [alt for alt in top[:n] if alt.id != chosen]


class Expand:
    """Mixed into MainScreen after EngineTasks."""

    expansion: Expansion | None = None

    def action_expand(self: ExpandHost) -> None:
        if self.job is not None or self.model_loading:
            self.notify("Wait for the generation to end (Esc cancels it)." if self.job is not None
                        else "The model is still loading.", severity="warning")
            return
        step = self.current_step()
        if step is None or self.cursor is None:
            self.notify("Put the token cursor on a token first (Esc, then the arrows).", severity="warning")
            return
        turn_index, position = self.cursor
        turn = self.chat.conversation.turns[turn_index]
        pending = alternatives_to_expand(step.top, step.id, self.settings.expand_top)
        if not pending:
            self.notify("No other alternative at this token to expand.", severity="warning")
            return
        self.expansion = Expansion(turn_index, turn.active, position, self.settings.expand_depth,
                                   pending, total=len(pending))
        self.notify(f"Expanding {len(pending)} alternative{'s' if len(pending) != 1 else ''} at token "
                    f"{position}, {self.settings.expand_depth} tokens each, greedy (Esc stops).", timeout=4)
        expand_next(self)

    def stop_expansion(self: ExpandHost) -> bool:
        """Drop the alternatives not grown yet (Esc); True when an expand was under way."""
        expansion = self.expansion
        if expansion is None:
            return False
        expansion.pending.clear()
        expansion.stopped = True
        if self.job is None or self.job is not expansion.job:
            finish_expansion(self)
        return True

    def on_generation_ended(self: ExpandHost, event: m.GenerationEnded) -> None:
        expansion = self.expansion
        if expansion is None or event.job is not expansion.job:
            return
        expansion.done += 1
        if event.error is not None:
            expansion.stopped = True
        if expansion.pending and not expansion.stopped:
            expand_next(self)
        else:
            finish_expansion(self)


def expand_next(host: ExpandHost) -> None:
    """Fork the next alternative and generate it greedily, `depth` tokens after the forced one."""
    expansion = host.expansion
    assert expansion is not None
    alternative = expansion.pending.pop(0)
    convo = host.chat.conversation
    branch, continue_from = convo.fork(expansion.turn, expansion.branch, expansion.position, alternative)
    host.render_turn(expansion.turn)
    chat = host.chat
    sampling, max_tokens = chat.sampling, chat.max_tokens
    chat.sampling = replace(sampling, temperature=0.0)
    chat.max_tokens = len(continue_from) + expansion.depth  # the request asks for `depth` more
    try:
        host.start_generation(expansion.turn, branch, continue_from)
    finally:
        chat.sampling, chat.max_tokens = sampling, max_tokens
    expansion.job = host.job
    host.notify(f"Expanding {expansion.done + 1}/{expansion.total}: {alternative.text!r}…", timeout=2)


def finish_expansion(host: ExpandHost) -> None:
    """Back to the branch the expand forked from, the cursor on the fork; say what was made."""
    expansion = host.expansion
    assert expansion is not None
    host.expansion = None
    turn = host.chat.conversation.turns[expansion.turn]
    if 0 <= expansion.branch < len(turn.branches):
        turn.active = expansion.branch
        set_cursor(host, expansion.turn, expansion.position)
    what = "Stopped expanding" if expansion.stopped else "Expanded"
    host.notify(f"{what}: {expansion.done} of {expansion.total} branch{'es' if expansion.total != 1 else ''} "
                f"at token {expansion.position} (ctrl+t shows the tree).", timeout=4)
