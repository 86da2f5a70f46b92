"""What a request's configuration does to the conversation: its system prompt, and its trigger
string put where the configuration says.

Experiments compare one question under several configurations (a backdoor trigger present or
absent, system prompt none / empty / custom); the conversation the model sees follows from the
configuration by these rules alone, so every backend renders the same prompt for it and the
rendered prompt recorded in the provenance shows the trigger where it went. Pure functions; the
placement is the one docs/batteries.md documents (one space between trigger and text).
"""

from __future__ import annotations

from dataclasses import replace

from .errors import RequestError
from .types import Configuration, Message, SystemMode, SystemPrompt, TriggerPlace


def configured(system: SystemPrompt, messages: tuple[Message, ...],
               configuration: Configuration | None) -> tuple[SystemPrompt, tuple[Message, ...]]:
    """The system prompt and messages a request runs with under `configuration` (None: as given)."""
    if configuration is None:
        return system, messages
    system = configuration.system
    trigger = configuration.trigger
    if not trigger:
        return system, messages
    place = TriggerPlace(configuration.trigger_at)
    if place is TriggerPlace.SYSTEM:
        text = system.text if system.mode is SystemMode.CUSTOM else ""
        return SystemPrompt.custom(_joined(text, trigger)), messages
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None:
        raise RequestError(f"The trigger goes in the user message ({place.value}), but the "
                           f"conversation has no user message.")
    content = messages[last].content
    content = _joined(trigger, content) if place is TriggerPlace.USER_START else _joined(content, trigger)
    return system, messages[:last] + (replace(messages[last], content=content),) + messages[last + 1:]


def _joined(first: str, second: str) -> str:
    """Two texts with one space between them; either alone when the other is empty."""
    return f"{first} {second}" if first and second else first or second
