"""The battery package's exceptions: a branch of the engine's one family (`msg` and `title`).

Why its own module: loading a battery is the one place a researcher's hand-written YAML meets our
code, so every refusal names the file, the line, the question and the key that is wrong, and the
CLI prints it as one `title: msg` line (tui/cli/main.py handles every EngineError alike).
"""

from __future__ import annotations

from engine.errors import EngineError


class BatteryError(EngineError):
    title = "Battery error"


class BatteryFormatError(BatteryError):
    """The file is not valid YAML, or a question in it breaks a rule of docs/batteries.md."""

    title = "Invalid battery"


class BatteryNotFoundError(BatteryError):
    title = "No such battery"
