"""Replay's list of a session's comparisons (`v`): one line each, from their heads alone.

The one picked opens read-only in the live compare screen (LiveCompareScreen.replaying), which
decodes its positions from the journal in a thread worker: no model is needed.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sessions import Session

from .battery_run_view import ended


class ComparisonsModal(ModalScreen[int | None]):
    """Enter answers the index of the comparison to open, Escape None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="comparisons_cancel")]

    def __init__(self, session: Session) -> None:
        super().__init__(classes="small-modal")
        self.session = session

    def compose(self) -> ComposeResult:
        comparisons = self.session.comparisons
        with Vertical(id="small-modal-box") as box:
            box.border_title = "Comparisons"
            yield Static("Enter opens a comparison side by side (read-only, no model needed); Escape goes back.")
            yield OptionList(*(Option(Content(f"{ended(str(comparisons.entry(n).meta.get('created', '')))}  "
                                              f"{comparisons.describe(n)}"), id=str(n))
                               for n in range(len(comparisons))), id="comparisons-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    @on(OptionList.OptionSelected, "#comparisons-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_cancel(self) -> None:
        self.dismiss(None)
