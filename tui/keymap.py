"""Every key binding of the main screen in one table, each with an id the config can rebind.

The help screen and the command palette read this same table, so what they list is what the
keys do. Function keys and ctrl keys work from anywhere, even while typing a message. No action
sits on a letter: a printable key typed while the transcript has focus goes to the message box
(stray typing after an Escape must not regenerate or edit anything). The transcript keeps the
arrows, Home/End, shift+arrows (the jump keys, tui/jumps.py) and [ ] (switching branches changes
nothing); the keys 1-5 branch from an alternative while the inspector's list has focus (Tab from
the transcript).
"""

from __future__ import annotations

from textual.binding import Binding

MAIN_BINDINGS: list[Binding] = [
    Binding("f1", "help", "Help", id="help", tooltip="Help: list every key binding"),
    Binding("f2", "toggle_panel('system')", "System", id="panel_system", tooltip="Toggle the system prompt panel"),
    Binding("f3", "toggle_panel('adapters')", "Adapters", id="panel_adapters", tooltip="Toggle the adapters panel"),
    Binding("f4", "toggle_panel('sampling')", "Sampling", id="panel_sampling", tooltip="Toggle the sampling panel"),
    Binding("f5", "toggle_panel('model')", "Model", id="panel_model", tooltip="Toggle the model panel"),
    Binding("f6", "show_prompt", "Prompt", id="show_prompt",
            tooltip="The exact prompt of the turn under the cursor (or the next message) with its "
                    "configuration; text the chat template added is highlighted"),
    Binding("f7", "cycle_tint", "Tint", id="cycle_tint", tooltip="Cycle the token tint: probability, entropy, rank"),
    Binding("f8", "regenerate", "Regenerate", id="regenerate", tooltip="Regenerate the last answer"),
    Binding("f9", "edit_last", "Edit last", id="edit_last", tooltip="Edit the last message and resend"),
    Binding("escape", "escape", "Cancel", id="cancel", priority=True,
            tooltip="Cancel the generation, or switch focus between message box and transcript"),
    Binding("ctrl+n", "new_chat", "New conversation", id="new_chat", show=False,
            tooltip="Start a new conversation (the message box gets the focus)"),
    Binding("ctrl+r", "ask_fresh", "Ask again, fresh", id="ask_fresh", show=False,
            tooltip="Ask the selected turn's message again as a new turn with no history, "
                    "under the current configuration"),
    Binding("ctrl+y", "choose", "Forced choice", id="choose", show=False,
            tooltip="Forced choice: type candidate answers (Yes, No) for the message box's question "
                    "or the selected turn's, and see their probabilities per configuration"),
    Binding("ctrl+b", "battery", "Batteries", id="battery", show=False,
            tooltip="Batteries: run a shipped battery under the current and base configurations (or a "
                    "configs file) with progress, then read bars with intervals and each record"),
    Binding("ctrl+l", "live_compare", "Compare live", id="live_compare", show=False,
            tooltip="Compare live: the message box's question (or the selected turn's) under 2-4 "
                    "configurations side by side (current, base, no or empty system prompt, or a configs "
                    "file), divergence per position"),
    Binding("ctrl+t", "branch_tree", "Branch tree", id="branch_tree", show=False,
            tooltip="The branch tree: every turn's branches nested under the one each forks from, with "
                    "the fork's position, token and probability and each branch's mean logprob; "
                    "arrows move, ←/→ collapse/expand, Enter opens a branch at its fork"),
    Binding("ctrl+e", "expand", "Expand alternatives", id="expand", show=False,
            tooltip="Expand (from the transcript): grow the top alternatives at the token cursor a few "
                    "tokens deep, greedy, one branch each ([explore] expand_top, expand_depth); Esc stops"),
    Binding("left", "cursor(-1)", "Previous token", id="cursor_left", show=False),
    Binding("right", "cursor(1)", "Next token", id="cursor_right", show=False),
    Binding("up", "answer(-1)", "Previous answer", id="answer_up", show=False),
    Binding("down", "answer(1)", "Next answer", id="answer_down", show=False),
    Binding("home", "cursor_edge(0)", "First token", id="cursor_first", show=False),
    Binding("end", "cursor_edge(1)", "Last token", id="cursor_last", show=False),
    Binding("shift+right", "jump(1)", "Next match", id="jump_next", show=False,
            tooltip="Jump to the answer's next position that matches the jump criterion"),
    Binding("shift+left", "jump(-1)", "Previous match", id="jump_prev", show=False,
            tooltip="Jump to the answer's previous position that matches the jump criterion"),
    Binding("ctrl+j", "cycle_jump", "Jump criterion", id="jump_criterion", show=False,
            tooltip="Cycle the jump criterion: entropy above, p(chosen) below ([explore] of the "
                    "config file), rank > 0; the status bar shows it and how many positions match"),
    Binding("[", "switch_branch(-1)", "Previous branch", id="branch_prev", show=False),
    Binding("]", "switch_branch(1)", "Next branch", id="branch_next", show=False),
    *(Binding(str(n), f"branch_from({n - 1})", f"Branch from alternative {n}", id=f"branch_{n}", show=False,
              tooltip=f"Branch from alternative {n} (while the inspector's list has focus)")
      for n in range(1, 6)),
]

# App-level: these work on every screen, modals included.
APP_BINDINGS: list[Binding] = [
    Binding("f10", "save_screenshot", "Screenshot", id="screenshot", priority=True,
            tooltip="Save an SVG screenshot of the screen to the data dir"),
    Binding("ctrl+o", "sessions", "Sessions", id="sessions",
            tooltip="Sessions: browse, search, replay, compare, export or delete saved sessions"),
]

ALL_BINDINGS = MAIN_BINDINGS + APP_BINDINGS
