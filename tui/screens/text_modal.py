"""Modals that show a block of text to read and copy: engine errors and the rendered prompt.

The text sits in a read-only TextArea so it can be selected and copied (ctrl+c) as is; special
tokens and the tail of llama.cpp's log are shown verbatim.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TextArea

from engine.errors import EngineError


class TextModal(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="modal_close"),
    ]

    def __init__(self, title: str, summary: str, body: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title_text, self.summary, self.body = title, summary, body

    def compose(self) -> ComposeResult:
        with Vertical(id="modal-box") as box:
            box.border_title = Content(self.title_text)  # engine text: never markup
            yield Static(Content(self.summary), id="modal-summary")
            if self.body:
                yield TextArea(self.body, read_only=True, soft_wrap=True, id="modal-body")
        yield Footer()

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


class ErrorModal(TextModal):
    """An engine error: its title, what to do about it, and the details (log tail) to copy."""

    DEFAULT_CLASSES = "error"

    @classmethod
    def from_error(cls, error: BaseException) -> ErrorModal:
        if isinstance(error, EngineError):
            return cls(error.title, error.msg, error.details)
        return cls("Unexpected error", f"{type(error).__name__}: {error}", "")


class PromptModal(TextModal):
    """Exactly what the model sees for the next answer, special tokens included."""
