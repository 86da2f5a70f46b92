"""Showing the token under the cursor: the one home of what the main and replay screens share.

Both screens render a conversation into the same widgets (Transcript, Inspector, AnswerPlot) and
move the same token cursor over it; this mixin holds the code that did that twice: which step is
under the cursor, re-rendering a turn with the inspector and plot that follow it, and cycling
the tint.
"""

from __future__ import annotations

from engine.types import TokenStep

from ..config import TINT_MODES
from ..widgets.inspector import Inspector
from ..widgets.plot import AnswerPlot
from ..widgets.transcript import Transcript
from .host import TokenHost


class TokenView:
    tint: str  # the host's (TokenHost); declared so a type checker does not infer it here
    def current_step(self: TokenHost) -> TokenStep | None:
        if self.cursor is None:
            return None
        turn_index, pos = self.cursor
        branch = self.chat.conversation.turns[turn_index].answer
        return branch.steps[pos] if branch and 0 <= pos < len(branch.steps) else None

    def render_turn(self: TokenHost, turn_index: int, follow: bool = False) -> None:
        cursor = self.cursor[1] if self.cursor and self.cursor[0] == turn_index else None
        self.query_one(Transcript).refresh_answer(turn_index, cursor, follow)
        if self.cursor and self.cursor[0] == turn_index:
            self.refresh_inspector()

    def refresh_inspector(self: TokenHost) -> None:
        """The inspector and plot for the cursor's turn; scrolls the cursor into view."""
        if self.cursor is None:
            self.query_one(Inspector).show(None)
            self.query_one(AnswerPlot).show([])
            return
        turn_index = self.cursor[0]
        step = self.current_step()
        self.query_one(Inspector).show(step, f"turn {self.turn_offset + turn_index + 1} · ")
        branch = self.chat.conversation.turns[turn_index].answer
        self.query_one(AnswerPlot).show(branch.steps if branch else [], streaming=self.job is not None)
        if step is not None and not self.follow:
            view = self.query_one(Transcript).answer(turn_index)
            if view is not None:
                view.scroll_visible(animate=False)

    def action_cycle_tint(self: TokenHost) -> None:
        self.tint = TINT_MODES[(TINT_MODES.index(self.tint) + 1) % len(TINT_MODES)]
        self.query_one(Transcript).set_tint(self.tint)
        for n in range(len(self.chat.conversation.turns)):
            self.render_turn(n)
