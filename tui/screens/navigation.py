"""The token cursor and branching: moving through answers, switching branches, forking.

Mixed into MainScreen and ReplayScreen (TokenHosts). The cursor is (turn, position) over the
active branch of a turn; the inspector always shows the step under it, and forking continues
from that position. Replay cannot fork: it overrides `action_branch_from`.
"""

from __future__ import annotations

from engine.types import TokenStep

from ..messages import AlternativeChosen
from ..widgets.transcript import Transcript
from .host import ChatHost, TokenHost


def steps_of(host: TokenHost, turn_index: int) -> list[TokenStep]:
    """The token steps of a turn's active answer (none before it has one)."""
    answer = host.chat.conversation.turns[turn_index].answer
    return answer.steps if answer is not None else []


def answered_turns(host: TokenHost) -> list[int]:
    turns = host.chat.conversation.turns
    return [n for n, t in enumerate(turns) if t.answer is not None and t.answer.steps]


def set_cursor(host: TokenHost, turn_index: int, pos: int) -> None:
    """Put the cursor on a token (the user moved it: stop following the stream)."""
    old = host.cursor[0] if host.cursor else None
    host.follow = False
    host.cursor = (turn_index, pos)
    if old is not None and old != turn_index:
        host.render_turn(old)
    host.render_turn(turn_index)


def place_cursor(host: TokenHost) -> None:
    """A first cursor: the last token of the last answer (if there is one)."""
    answered = answered_turns(host)
    if answered:
        turn_index = answered[-1]
        set_cursor(host, turn_index, len(steps_of(host, turn_index)) - 1)


class Navigation:
    def action_cursor(self: TokenHost, delta: int) -> None:
        if self.cursor is None:
            return place_cursor(self)
        turn_index, pos = self.cursor
        set_cursor(self, turn_index, max(0, min(len(steps_of(self, turn_index)) - 1, pos + delta)))

    def action_cursor_edge(self: TokenHost, end: int) -> None:
        if self.cursor is None:
            return place_cursor(self)
        turn_index, _ = self.cursor
        set_cursor(self, turn_index, len(steps_of(self, turn_index)) - 1 if end else 0)

    def action_answer(self: TokenHost, delta: int) -> None:
        answered = answered_turns(self)
        if not answered:
            return
        if self.cursor is None or self.cursor[0] not in answered:
            return place_cursor(self)
        turn_index, pos = self.cursor
        index = max(0, min(len(answered) - 1, answered.index(turn_index) + delta))
        target = answered[index]
        set_cursor(self, target, min(pos, len(steps_of(self, target)) - 1))

    def action_switch_branch(self: TokenHost, delta: int) -> None:
        if self.cursor is None or self.job is not None:
            return
        turn_index, pos = self.cursor
        turn = self.chat.conversation.turns[turn_index]
        if len(turn.branches) < 2:
            self.notify("This answer has one branch. Tab to the inspector and pick an alternative "
                        "(1-5 or Enter) to make another.", timeout=3)
            return
        turn.active = (turn.active + delta) % len(turn.branches)
        set_cursor(self, turn_index, max(0, min(pos, len(steps_of(self, turn_index)) - 1)))

    def action_focus_inspector(self: TokenHost) -> None:
        """To the inspector's alternatives, the cursor placed first if there was none."""
        if self.cursor is None:
            place_cursor(self)
        if self.current_step() is not None:
            self.query_one("#alternatives").focus()
        else:
            self.notify("No answer yet: ask something first.", timeout=3)

    def on_alternative_chosen(self: TokenHost, event: AlternativeChosen) -> None:  # a mixin: no @on here
        self.action_branch_from(event.index)

    def action_branch_from(self: ChatHost, index: int) -> None:
        step = self.current_step()
        if step is None or self.cursor is None or index >= len(step.top):
            return
        if self.job is not None:
            self.notify("Still generating: Esc cancels first.", severity="warning")
            return
        turn_index, pos = self.cursor
        turn = self.chat.conversation.turns[turn_index]
        branch, continue_from = self.chat.conversation.fork(turn_index, turn.active, pos, step.top[index])
        self.render_turn(turn_index)
        self.start_generation(turn_index, branch, continue_from)
        self.query_one(Transcript).focus()
