"""Messages the widgets and panels post upward to the main screen.

Widgets never call the engine or reach into the screen; they describe what the user asked for
and the screen (which owns the backend and the conversation) decides what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from engine.types import AdapterSpec, SamplingSettings, SystemPrompt


@dataclass
class AlternativeChosen(Message):
    """Branch from the token under the cursor, replacing it with alternative `index` (0-based)."""

    index: int


@dataclass
class SystemChanged(Message):
    system: SystemPrompt


@dataclass
class SamplingChanged(Message):
    sampling: SamplingSettings
    max_tokens: int


@dataclass
class AdaptersChanged(Message):
    """The active adapter set changed; it applies to the next generation."""

    adapters: tuple[AdapterSpec, ...]


@dataclass
class AdapterAdded(Message):
    """A new adapter path the user typed; the screen asks the engine to validate it."""

    spec: AdapterSpec


@dataclass
class ModelRequested(Message):
    path: str
