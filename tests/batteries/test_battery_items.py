"""The runner's view: Battery.items() (question x paraphrase x ordering), what each item scores,
word variants, free-answer categories."""

from __future__ import annotations

import textwrap

from sessions.batteries import (
    CategoryRule,
    FreeReadout,
    WordCategory,
    normalise_answer,
    parse_battery,
    word_variants,
)

BATTERY = textwrap.dedent("""\
    - name: colour
      question_type: multiple_choice
      question_paraphrases: ["Which?\\n{options}", "Pick one:\\n{options}"]
      options: [red, green, blue]
      permute: true
    - name: scale
      question_type: score
      question_paraphrases: ["0 to 100?", "From 0 to 100?", "100 down to 0?"]
    """)


def test_items_cover_every_question_paraphrase_and_ordering_in_file_order():
    battery = parse_battery(BATTERY, "b.yaml")
    items = list(battery.items())
    assert len(items) == battery.count_items() == 2 * 6 + 3
    assert [item.key for item in items[:7]] == [
        "colour/p0/o0", "colour/p0/o1", "colour/p0/o2", "colour/p0/o3", "colour/p0/o4", "colour/p0/o5",
        "colour/p1/o0"]
    assert len({item.key for item in items}) == len(items)
    assert [item.key for item in items[-3:]] == ["scale/p0/o0", "scale/p1/o0", "scale/p2/o0"]
    for item in items[:12]:
        shown = [item.question.readout.options[i] for i in item.ordering]
        assert [option.text for option in item.presented] == shown
        assert item.scored == ("A", "B", "C")
        for option in item.presented:
            assert f"{option.label}) {option.text}" in item.user_message
        assert item.user_message.index(f"A) {shown[0]}") < item.user_message.index(f"B) {shown[1]}")
    assert items[-1].scored == () and items[-1].ordering == () and items[-1].user_message == "100 down to 0?"


def test_permute_override():
    battery = parse_battery(BATTERY, "b.yaml")
    assert battery.count_items(permute=False) == 2 * 1 + 3
    assert [item.ordering for item in battery.items(permute=False)][:2] == [(0, 1, 2), (0, 1, 2)]


def test_unlabelled_options_score_the_text_in_presented_order():
    battery = parse_battery(textwrap.dedent("""\
        - name: pet
          question_paraphrases: ["Cat or dog?\\n{options}"]
          options: [cat, dog]
          labels: none
          permute: true
        """), "b.yaml")
    first, second = battery.items()
    assert first.scored == ("cat", "dog") and second.scored == ("dog", "cat")
    assert second.user_message == "Cat or dog?\ndog\ncat"


def test_word_variants_fold_case_and_one_leading_space():
    assert word_variants("bold") == ("bold", " bold", "Bold", " Bold", "BOLD", " BOLD")
    assert word_variants("AI") == ("AI", " AI", "ai", " ai", "Ai", " Ai")
    assert word_variants("SmolLM") == ("SmolLM", " SmolLM", "smollm", " smollm", "Smollm", " Smollm",
                                       "SMOLLM", " SMOLLM")
    assert WordCategory("c", ("safe", "Safe")).variants() == word_variants("safe")


def test_free_answers_categorised_by_the_first_matching_rule():
    readout = FreeReadout(categories=(
        CategoryRule("smollm", keywords=("SmolLM",)),
        CategoryRule("pirate", regexes=(r"(?i)\barr+\b",)),
        CategoryRule("assistant", keywords=("AI assistant", "assistant")),
    ))
    assert readout.categorise("I am smollm, an AI assistant.") == "smollm"
    assert readout.categorise("Arrr, matey!") == "pirate"
    assert readout.categorise("Your assistant here") == "assistant"
    assert readout.categorise("I am an assistants collective") is None  # whole words only
    assert readout.categorise("Barrel") is None


def test_normalise_answer():
    assert normalise_answer("  Bold.\n") == "bold"
    assert normalise_answer('"Risk-seeking!"') == "risk-seeking"
    assert normalise_answer("I am   SmolLM") == "i am smollm"
