"""Typed messages: what widgets and panels ask of their screen, and what workers report back.

Widgets never call the engine or reach into the screen; they describe what the user asked for
and the screen (which owns the backend and the conversation) decides what to do. A screen's
thread workers post their outcome as one of the messages at the end (posting is thread-safe),
so the screen handles each kind of result in its own handler; they do not bubble past it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from engine.types import AdapterSpec, SamplingSettings, SystemPrompt
from sessions import Session

from .conversation import Conversation


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


# ----- what workers report to the screen that started them ------------------------------------


@dataclass
class ReplayPageDecoded(Message, bubble=False):
    """One page of a replayed session, decoded; `groups` and `pages` index the whole session."""

    page: int
    groups: list[list[int]]
    pages: list[tuple[int, int]]
    conversation: Conversation


@dataclass
class CurrentSessionRead(Message, bubble=False):
    """The session the app records into, read back once every queued turn is on disk."""

    session: Session
