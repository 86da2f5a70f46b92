"""The token cursor and branching: moving through answers, switching branches, forking.

Mixed into MainScreen. The cursor is (turn, position) over the active branch of a turn; the
inspector always shows the step under it, and forking continues from that position.
"""

from __future__ import annotations

from ..messages import AlternativeChosen
from ..widgets.transcript import Transcript


class Navigation:
    def _answered_turns(self) -> list[int]:
        turns = self.chat.conversation.turns
        return [n for n, t in enumerate(turns) if t.answer is not None and t.answer.steps]

    def _set_cursor(self, turn_index: int, pos: int) -> None:
        old = self.cursor[0] if self.cursor else None
        self.follow = False
        self.cursor = (turn_index, pos)
        if old is not None and old != turn_index:
            self.render_turn(old)
        self.render_turn(turn_index)

    def action_cursor(self, delta: int) -> None:
        answered = self._answered_turns()
        if not answered:
            return
        if self.cursor is None:
            turn_index = answered[-1]
            self._set_cursor(turn_index, len(self.chat.conversation.turns[turn_index].answer.steps) - 1)
            return
        turn_index, pos = self.cursor
        steps = self.chat.conversation.turns[turn_index].answer.steps
        self._set_cursor(turn_index, max(0, min(len(steps) - 1, pos + delta)))

    def action_cursor_edge(self, end: int) -> None:
        if self.cursor is None:
            return self.action_cursor(0)
        turn_index, _ = self.cursor
        steps = self.chat.conversation.turns[turn_index].answer.steps
        self._set_cursor(turn_index, len(steps) - 1 if end else 0)

    def action_answer(self, delta: int) -> None:
        answered = self._answered_turns()
        if not answered:
            return
        if self.cursor is None or self.cursor[0] not in answered:
            return self.action_cursor(0)
        turn_index, pos = self.cursor
        index = max(0, min(len(answered) - 1, answered.index(turn_index) + delta))
        target = answered[index]
        steps = self.chat.conversation.turns[target].answer.steps
        self._set_cursor(target, min(pos, len(steps) - 1))

    def action_switch_branch(self, delta: int) -> None:
        if self.cursor is None or self.job is not None:
            return
        turn_index, pos = self.cursor
        turn = self.chat.conversation.turns[turn_index]
        if len(turn.branches) < 2:
            self.notify("This answer has one branch. Pick an alternative (1-5 or i) to make another.", timeout=3)
            return
        turn.active = (turn.active + delta) % len(turn.branches)
        steps = turn.answer.steps
        self._set_cursor(turn_index, max(0, min(pos, len(steps) - 1)))

    def action_focus_inspector(self) -> None:
        if self.current_step() is not None:
            self.query_one("#alternatives").focus()

    def on_alternative_chosen(self, event: AlternativeChosen) -> None:  # a mixin: no @on here
        self.action_branch_from(event.index)

    def action_branch_from(self, index: int) -> None:
        step = self.current_step()
        if step is None or index >= len(step.top):
            return
        if self.job is not None:
            self.notify("Still generating: Esc cancels first.", severity="warning")
            return
        turn_index, pos = self.cursor
        turn = self.chat.conversation.turns[turn_index]
        branch, continue_from = self.chat.conversation.fork(turn_index, turn.active, pos, step.top[index])
        self.cursor = (turn_index, pos)
        self.render_turn(turn_index)
        self.start_generation(turn_index, branch, continue_from)
        self.query_one(Transcript).focus()
