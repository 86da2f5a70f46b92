"""The adapter tools' error: part of the engine's error family so the CLI and TUI show it alike."""

from __future__ import annotations

from engine.errors import EngineError


class AdapterToolError(EngineError):
    """Training, converting or reading an adapter failed for a reason the user can act on."""

    title = "Adapter tool problem"
