"""The transcript: user messages and answers, every generated token tinted, one token under a cursor.

Each turn is a UserMessage and an AnswerView (answer.py), rendered from the conversation model.
While a generation streams, the screen calls `refresh_answer` once per frame with whatever
arrived, however fast tokens come.

On the main screen a printable key typed here is not a command: it goes into the message box
(`typing_target`), which then takes the focus, so someone who pressed Escape and went on typing
loses nothing and fires nothing. It is inserted at once rather than posted as a message: keys
typed before the focus moves must land in the order they were typed. Only `[` and `]`
(switching branches, which changes nothing) stay keys here.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from ..conversation import Turn
from ..tint import LEGENDS
from .answer import AnswerView


class UserMessage(Static):
    """A user turn."""


KEYS_KEPT = frozenset("[]")  # printable keys that stay bindings while the transcript has focus


class Transcript(VerticalScroll, can_focus=True):
    """Scrolls the turns; focus it to move the token cursor with the arrow keys."""

    BINDINGS = [
        Binding("tab", "screen.focus_inspector", "Inspector", id="transcript_inspector", show=False,
                tooltip="To the inspector's alternatives (1-5 or Enter branches from one)"),
    ]

    typing_target: Input | None = None
    """Where printable keys typed here go (the main screen's message box); None: nowhere (replay)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tint = "probability"
        self.legend = Static(LEGENDS[self.tint], id="legend")

    def on_key(self, event: events.Key) -> None:
        # Runs before the screen's bindings are looked up (they are checked once the key has
        # bubbled to the app), so stopping the key here keeps it from triggering any of them.
        target = self.typing_target
        if target is not None and event.is_printable and event.character \
                and event.character not in KEYS_KEPT:
            event.stop()
            event.prevent_default()
            target.insert_text_at_cursor(event.character)
            target.focus()

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
