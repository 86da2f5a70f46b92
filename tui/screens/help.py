"""The help screen: every key binding of the main screen, with the keys actually in effect.

It reads the same table the screen binds (tui/keymap.py) and applies the config's keymap, so a
rebinding shows up here too.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..config import Settings
from ..keymap import ALL_BINDINGS

PANEL_KEYS = [  # short key names: the keys column does not wrap
    ("transcript", "any letter", "goes to the message box (no action sits on a letter)"),
    ("transcript", "[ ]", "switch between the answer's branches"),
    ("transcript", "shift+← →", "jump to the previous / next position matching the criterion "
                               "(ctrl+j cycles it: entropy above, p below, rank > 0)"),
    ("transcript", "Tab", "to the inspector's alternatives"),
    ("inspector", "↑ ↓ Enter", "branch from the highlighted alternative"),
    ("inspector", "1-5", "branch from that row (rows are keys; rank counts the tokens more likely, "
                         "rank 0 = top-1)"),
    ("adapters panel", "space", "turn the highlighted adapter on or off"),
    ("adapters panel", "+ -", "scale ±0.1"),
    ("adapters panel", "> <", "scale ±1"),
    ("adapters panel", "n", "flip the scale's sign"),
    ("adapters panel", "s Enter", "type a scale"),
    ("adapters panel", "x Delete", "remove the adapter"),
    ("anywhere", "ctrl+p", "command palette (every action)"),
    ("anywhere", "ctrl+q", "quit"),
]


def bindings_table(settings: Settings) -> Table:
    table = Table(box=None, pad_edge=False, expand=True)
    table.add_column("keys", style="bold cyan", no_wrap=True)
    table.add_column("action")
    table.add_column("id", style="dim")
    for binding in ALL_BINDINGS:
        # Text, not str: a rebound key comes from the config file and must not be read as markup.
        table.add_row(Text(settings.key_for(binding.id or "", binding.key)),
                      Text(binding.tooltip or binding.description), Text(binding.id or ""))
    for where, keys, what in PANEL_KEYS:
        table.add_row(Text(keys), Text(f"{what} ({where})"), "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1", "dismiss", "Close", id="help_close")]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys"
            yield Static(
                "Type a message and press Enter. Escape cancels a generation, or moves between the "
                "message box and the transcript. Actions sit on F-keys and ctrl keys, so they work "
                "while you type; in the transcript, letters you type go to the message box. Rebind "
                "any key by id in "
                f"[keymap] of {self.settings.source or 'the config file (LOGITSCOPE_CONFIG)'}; "
                "the jump keys' thresholds are in [explore] (entropy_above, prob_below).",
                id="help-intro", markup=False,
            )
            yield Static(bindings_table(self.settings), id="help-table")
        yield Footer()

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
