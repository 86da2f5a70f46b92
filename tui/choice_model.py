"""Forced choice from the chat as plain data: the question, the options typed, the configurations
compared and what each one scored.

The choice modal (tui/screens/choice.py) shows these and the main screen builds the question from
its conversation; keeping them apart from Textual lets the parsing, the question's history and the
ranking be tested on their own. Every option is scored as a complete answer (ChoiceMode.COMPLETE)
under a Configuration the request carries, so a comparison column never depends on which adapters
the engine happens to hold.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from engine.types import AdapterSpec, ChoiceMode, ChoiceRequest, ChoiceResult, Configuration, Message, SystemPrompt

from .conversation import Conversation
from .turn_config import adapters_label, system_label

DEFAULT_OPTIONS = "Yes, No"


def parse_options(text: str) -> tuple[str, ...]:
    """Options one per line, or comma-separated on one line ("Yes, No"); an option holding a comma
    is quoted (`"Yes, definitely", No`). Blank and repeated options are dropped, order is kept."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        items = lines
    else:
        items = next(csv.reader(lines, skipinitialspace=True), []) if lines else []
    options: list[str] = []
    for item in (i.strip() for i in items):
        if item and item not in options:
            options.append(item)
    return tuple(options)


@dataclass(frozen=True)
class ChoiceQuestion:
    """The user message the options answer, the earlier exchanges its prompt carries, and where
    it came from (for the modal's title)."""

    text: str
    history: tuple[Message, ...] = ()
    source: str = "the message box"

    @property
    def messages(self) -> tuple[Message, ...]:
        return (*self.history, Message("user", self.text))


def question_for(conversation: Conversation, typed: str, cursor_turn: int | None,
                 editing: bool = False) -> ChoiceQuestion | None:
    """The message box's text as the next message would be sent (with the conversation so far;
    while editing the last message, without it), else the user message of the turn under the
    cursor (or the last turn) with that turn's own history; None with neither."""
    turns = conversation.turns
    if typed.strip():
        upto = len(turns) - 1 if editing and turns else len(turns)
        return ChoiceQuestion(typed.strip(), tuple(conversation.history(upto)))
    if not turns:
        return None
    index = cursor_turn if cursor_turn is not None else len(turns) - 1
    return ChoiceQuestion(turns[index].user, tuple(conversation.history(index)), f"turn {index + 1}")


@dataclass(frozen=True)
class NamedConfiguration:
    """A column of the comparison: a short label and the configuration its requests carry."""

    label: str
    configuration: Configuration

    def describe(self) -> str:
        c = self.configuration
        return f"{adapters_label(c.adapters)} · {system_label(c.system)}"

    def request(self, question: ChoiceQuestion, options: tuple[str, ...]) -> ChoiceRequest:
        c = self.configuration
        return ChoiceRequest(question.messages, options, c.system, ChoiceMode.COMPLETE, configuration=c)


COMPARISONS: dict[str, str] = {
    "base": "base: no adapters",
    "no-system": "no system prompt",
}
"""The configurations the modal can add next to the current one, by id: their column labels."""


def configurations(system: SystemPrompt, adapters: tuple[AdapterSpec, ...],
                   compare: tuple[str, ...] = ()) -> tuple[NamedConfiguration, ...]:
    """The main screen's configuration ("current": its system prompt and adapters), then each
    comparison asked for: "base" (the same system prompt, no adapters) and "no-system" (the same
    adapters, no system message)."""
    current = Configuration(adapters=tuple(adapters), system=system)
    made = [NamedConfiguration("current", current)]
    for key in compare:
        if key == "base":
            made.append(NamedConfiguration(COMPARISONS[key], Configuration(system=system)))
        elif key == "no-system":
            made.append(NamedConfiguration(COMPARISONS[key], Configuration(adapters=tuple(adapters))))
        else:
            raise ValueError(f"unknown comparison {key!r}; expected one of {', '.join(COMPARISONS)}")
    return tuple(made)


@dataclass(frozen=True)
class ScoredConfiguration:
    """One configuration's request and the engine's answer to it."""

    config: NamedConfiguration
    request: ChoiceRequest
    result: ChoiceResult

    @property
    def ranks(self) -> tuple[int, ...]:
        """Each option's rank among the options offered: 1 = the most likely (ties share one)."""
        logprobs = [o.logprob for o in self.result.options]
        return tuple(1 + sum(other > mine for other in logprobs) for mine in logprobs)
