"""Every key binding of the main screen in one table, each with an id the config can rebind.

The help screen and the command palette read this same table, so what they list is what the
keys do. Function keys work from anywhere (even while typing a message); the single-letter keys
work when the transcript has focus (Escape or Tab gets there from the message box).
"""

from __future__ import annotations

from textual.binding import Binding

MAIN_BINDINGS: list[Binding] = [
    Binding("f1", "help", "Help", id="help", tooltip="Help: list every key binding"),
    Binding("f2", "toggle_panel('system')", "System", id="panel_system", tooltip="Toggle the system prompt panel"),
    Binding("f3", "toggle_panel('adapters')", "Adapters", id="panel_adapters", tooltip="Toggle the adapters panel"),
    Binding("f4", "toggle_panel('sampling')", "Sampling", id="panel_sampling", tooltip="Toggle the sampling panel"),
    Binding("f5", "toggle_panel('model')", "Model", id="panel_model", tooltip="Toggle the model panel"),
    Binding("f6", "show_prompt", "Prompt", id="show_prompt", tooltip="Show the rendered prompt"),
    Binding("f7", "cycle_tint", "Tint", id="cycle_tint", tooltip="Cycle the token tint: probability, entropy, rank"),
    Binding("f8", "regenerate", "Regenerate", id="regenerate", tooltip="Regenerate the last answer"),
    Binding("f9", "edit_last", "Edit last", id="edit_last", tooltip="Edit the last message and resend"),
    Binding("escape", "escape", "Cancel", id="cancel", priority=True,
            tooltip="Cancel the generation, or switch focus between message box and transcript"),
    Binding("left,h", "cursor(-1)", "Previous token", id="cursor_left", show=False),
    Binding("right,l", "cursor(1)", "Next token", id="cursor_right", show=False),
    Binding("up,k", "answer(-1)", "Previous answer", id="answer_up", show=False),
    Binding("down,j", "answer(1)", "Next answer", id="answer_down", show=False),
    Binding("home", "cursor_edge(0)", "First token", id="cursor_first", show=False),
    Binding("end", "cursor_edge(1)", "Last token", id="cursor_last", show=False),
    Binding("[", "switch_branch(-1)", "Previous branch", id="branch_prev", show=False),
    Binding("]", "switch_branch(1)", "Next branch", id="branch_next", show=False),
    Binding("1", "branch_from(0)", "Branch from alternative 1", id="branch_1", show=False),
    Binding("2", "branch_from(1)", "Branch from alternative 2", id="branch_2", show=False),
    Binding("3", "branch_from(2)", "Branch from alternative 3", id="branch_3", show=False),
    Binding("4", "branch_from(3)", "Branch from alternative 4", id="branch_4", show=False),
    Binding("5", "branch_from(4)", "Branch from alternative 5", id="branch_5", show=False),
    Binding("i", "focus_inspector", "Pick an alternative in the inspector", id="inspector", show=False),
    Binding("t", "cycle_tint", "Cycle tint", id="cycle_tint_letter", show=False),
    Binding("r", "regenerate", "Regenerate", id="regenerate_letter", show=False),
    Binding("e", "edit_last", "Edit last message", id="edit_last_letter", show=False),
    Binding("p", "show_prompt", "Rendered prompt", id="show_prompt_letter", show=False),
    Binding("n", "new_chat", "New conversation", id="new_chat", show=False),
]

# App-level: these work on every screen, modals included.
APP_BINDINGS: list[Binding] = [
    Binding("f10", "save_screenshot", "Screenshot", id="screenshot", priority=True,
            tooltip="Save an SVG screenshot of the screen to the data dir"),
    Binding("ctrl+o", "sessions", "Sessions", id="sessions",
            tooltip="Sessions: browse, search, replay, compare, export or delete saved sessions"),
]

ALL_BINDINGS = MAIN_BINDINGS + APP_BINDINGS
