"""The transcript: user messages and answers, every generated token tinted, one token under a cursor.

Each turn is a UserMessage and an AnswerView (answer.py), rendered from the conversation model.
While a generation streams, the screen calls `refresh_answer` once per frame with whatever
arrived, however fast tokens come.
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..conversation import Turn
from ..tint import LEGENDS
from .answer import AnswerView


class UserMessage(Static):
    """A user turn."""


class Transcript(VerticalScroll, can_focus=True):
    """Scrolls the turns; focus it to move the token cursor with the arrow keys."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tint = "probability"
        self.legend = Static(LEGENDS[self.tint], id="legend")

    def compose(self):
        yield self.legend

    def set_tint(self, tint: str) -> None:
        self.tint = tint
        self.legend.update(LEGENDS[tint])

    def answers(self) -> list[AnswerView]:
        return list(self.query(AnswerView))

    def answer(self, turn_index: int) -> AnswerView | None:
        for view in self.query(AnswerView):
            if view.turn_index == turn_index:
                return view
        return None

    async def add_turn(self, turn: Turn, turn_index: int) -> AnswerView:
        view = AnswerView(turn, turn_index)
        await self.mount(UserMessage(Text(turn.user), classes="user"), view)
        return view

    async def rebuild(self, turns: list[Turn]) -> None:
        await self.query("UserMessage, AnswerView").remove()
        for n, turn in enumerate(turns):
            await self.add_turn(turn, n)

    def refresh_answer(self, turn_index: int, cursor: int | None, follow: bool = False) -> None:
        view = self.answer(turn_index)
        if view is not None:
            view.render_answer(self.tint, cursor)
            if follow:
                self.scroll_end(animate=False)
