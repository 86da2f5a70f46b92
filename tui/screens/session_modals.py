"""Small modals for the session screens: where to export, and "really delete?".

Both answer through `dismiss` so the caller gets the result in its callback; neither does the
work itself (export and delete happen in the calling screen, where errors are reported).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from sessions.export import FORMATS, one_of


class ExportModal(ModalScreen[str | None]):
    """A path to type; its extension (.md, .html, .jsonl) picks the format."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export_cancel")]

    def __init__(self, default: str) -> None:
        super().__init__(classes="small-modal")
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="small-modal-box") as box:
            box.border_title = "Export session"
            suffixes = one_of([f.suffix for f in FORMATS.values()])
            yield Static(f"File to write; the extension picks the format: {suffixes}.\n"
                         "Enter exports, Escape cancels.")
            yield Input(self.default, id="export-path")

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; y or Enter confirms, n or Escape declines.

    `question` is Content, or a str of markup the caller built (escaping whatever it interpolates).
    """

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm_no"),
    ]

    def __init__(self, question: Content | str) -> None:
        super().__init__(classes="small-modal")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="small-modal-box") as box:
            box.border_title = "Confirm"
            question = self.question if isinstance(self.question, Content) else Content.from_markup(self.question)
            yield Static(Content.assemble(question, "\n\n", Content.from_markup("[b]y[/b] yes · [b]n[/b] no")),
                         id="confirm-question")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
