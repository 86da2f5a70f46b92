"""The transcript: user messages and answers, every generated token tinted, one token under a cursor.

An AnswerView renders the active branch of one turn from the conversation model. While a
generation streams, the screen calls `refresh_answer` once per frame with whatever arrived, so
the cost per frame is one re-render of the current answer however fast tokens come.
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..conversation import Turn
from ..tint import LEGENDS, display_text, token_style


class UserMessage(Static):
    """A user turn."""


class AnswerView(Static):
    """The active branch of one turn, token by token."""

    def __init__(self, turn: Turn, turn_index: int) -> None:
        super().__init__(classes="answer")
        self.turn = turn
        self.turn_index = turn_index
        self.text = Text()  # the last rendering, kept for tests and screenshots

    def render_answer(self, tint: str, cursor: int | None) -> None:
        turn = self.turn
        branch = turn.answer
        text = Text()
        if branch is None:
            self._show(text)
            return
        header = f"answer · branch {turn.active + 1}/{len(turn.branches)}"
        if branch.fork_at is not None:
            header += f" · forked from {branch.parent + 1 if branch.parent is not None else '?'} at token {branch.fork_at}"
        if branch.finished:
            header += f" · {branch.finish_reason}"
        else:
            header += " · generating…"
        text.append(header + "\n", style="dim italic")
        steps = branch.steps
        last = len(steps) - 1
        for n, step in enumerate(steps):
            text.append(display_text(step, n == last and branch.finished), token_style(step, tint, n == cursor))
        if branch.error:
            text.append(f"\n⚠ {branch.error}", style="bold red")
        self.text = text
        self._show(text)

    def _show(self, text: Text) -> None:
        """Update without a screen-wide layout pass unless the answer's height changed."""
        self.update(text, layout=False)
        width = self.content_size.width
        if not width or self.get_content_height(self.size, self.app.size, width) != self.content_size.height:
            self.refresh(layout=True)


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
