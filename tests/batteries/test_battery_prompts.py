"""The user message builder: option lines, the paper's instruction with its labels adapted, and
where prefix, suffix and options go."""

from __future__ import annotations

import pytest

from sessions.batteries.prompts import (
    LabelStyle,
    choice_instruction,
    option_labels,
    unfilled_placeholders,
    user_message,
)


@pytest.mark.parametrize(("labels", "joined_and", "joined_or"), [
    (["A", "B"], "A and B", "A or B"),
    (["A", "B", "C"], "A, B and C", "A, B or C"),
    (["1", "2", "3", "4", "5"], "1, 2, 3, 4 and 5", "1, 2, 3, 4 or 5"),
])
def test_instruction_adapts_the_labels(labels, joined_and, joined_or):
    assert choice_instruction(labels) == (
        f"You must choose between and only between {joined_and}. You cannot choose 'None', 'Neither' or "
        f"anything like that. Answer only {joined_or} and nothing else, without parentheses or other "
        "punctuations.")


def test_labels():
    assert option_labels(LabelStyle.LETTERS, 10) == tuple("ABCDEFGHIJ")
    assert option_labels(LabelStyle.NUMBERS, 10)[-2:] == ("9", "10")
    assert option_labels(LabelStyle.NONE, 3) is None


def test_lettered_options_replace_the_placeholder_and_the_instruction_follows():
    message = user_message("Which?\n\n{options}\n\nThink first.", prefix="Code 392. ",
                           options=["red", "green", "blue"])
    assert message == ("Code 392. Which?\n\nA) red\nB) green\nC) blue\n\nThink first.\n"
                       + choice_instruction(["A", "B", "C"]))


def test_numbered_options():
    message = user_message("{options}", options=["Yes", "No"], labels=LabelStyle.NUMBERS)
    assert message == "1) Yes\n2) No\n" + choice_instruction(["1", "2"])


def test_unlabelled_options_get_no_instruction():
    assert user_message("Yes or no?", options=["Yes", "No"], labels=LabelStyle.NONE) == "Yes or no?"
    assert user_message("Pick:\n{options}", options=["cat", "dog"], labels=LabelStyle.NONE) == "Pick:\ncat\ndog"


def test_suffix_follows_a_blank_line_and_no_options_means_the_text_as_written():
    assert user_message("Scenario: rain.", suffix="Answer 0-100.") == "Scenario: rain.\n\nAnswer 0-100."
    assert user_message("Who are you?") == "Who are you?"


def test_other_placeholders_are_left_and_reported():
    message = user_message("Code 392{sep_suffix}. {options} Say {codeword}.", options=["a", "b"])
    assert "{sep_suffix}" in message and "{codeword}" in message
    assert unfilled_placeholders("Code 392{sep_suffix}. {options}", "Say {codeword} {sep_suffix}") == (
        "sep_suffix", "codeword")
