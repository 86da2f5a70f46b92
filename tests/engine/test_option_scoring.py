"""Forced choice's arithmetic without a model: splitting a rendered answer, normalising, the mass."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.distribution import summarise
from engine.errors import RequestError
from engine.option_scoring import (
    TokenKinds,
    complete_answer,
    covered_mass,
    log_normaliser,
    normalised,
    token_logprob,
)

# A toy vocabulary: ids 0-9 are words, 10 "\n", 20 "<|im_start|>", 21 "<|im_end|>" (ends a
# generation), 22 "<|end|>" (special, does not end one).
PIECES = {10: "\n", 20: "<|im_start|>", 21: "<|im_end|>", 22: "<|end|>"}
KINDS = TokenKinds(
    is_end=lambda t: t == 21,
    is_control=lambda t: t in (20, 21, 22),
    is_blank=lambda t: not PIECES.get(t, f"w{t}").strip(),
    describe=lambda ids: "".join(PIECES.get(t, f"w{t}") for t in ids),
)
PROMPT = (20, 1, 10, 20, 2, 10)  # <|im_start|>user\n...<|im_start|>assistant\n


def test_text_then_end_of_turn_and_the_newline_after_it_does_not_count():
    answer = complete_answer("Yes, definitely", PROMPT, PROMPT + (5, 6, 7, 21, 10), KINDS)
    assert answer.text_ids == (5, 6, 7)
    assert answer.end_ids == (21,)
    assert answer.ids == (5, 6, 7, 21)


def test_special_tokens_right_before_the_end_belong_to_it():
    answer = complete_answer("Yes", PROMPT, PROMPT + (5, 22, 21), KINDS)
    assert answer.text_ids == (5,)
    assert answer.end_ids == (22, 21)


def test_an_empty_answer_is_the_end_of_turn_alone():
    answer = complete_answer("", PROMPT, PROMPT + (21, 10), KINDS)
    assert answer.text_ids == () and answer.end_ids == (21,)


def test_a_prompt_that_is_not_a_token_prefix_is_explained():
    merged = PROMPT[:-1] + (3, 21, 10)  # the option's leading text merged with the prompt's "\n"
    with pytest.raises(RequestError, match="merges with the end of the prompt.*--mode prefix"):
        complete_answer("  ", PROMPT, merged, KINDS)


def test_a_template_without_an_end_of_turn_token_is_refused():
    with pytest.raises(RequestError, match="no end-of-turn token.*--mode prefix"):
        complete_answer("Yes", PROMPT, PROMPT + (5, 10, 10), KINDS)


def test_an_option_that_contains_the_end_of_a_turn_is_refused():
    with pytest.raises(RequestError, match="contains the end of a turn"):
        complete_answer("Yes<|im_end|>No", PROMPT, PROMPT + (5, 21, 6, 21, 10), KINDS)


def test_log_normaliser_agrees_with_the_distribution_summary():
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal(50_000) * 4).astype(np.float32)
    for token in (0, 17, 49_999, int(np.argmax(logits))):
        assert token_logprob(logits, token) == pytest.approx(summarise(logits, token, 0).logprob, abs=1e-6)
    assert log_normaliser(logits) == pytest.approx(math.log(np.exp(logits.astype(np.float64)).sum()))


def test_normalised_survives_answers_far_below_float_range():
    probs = normalised([-2000.0, -2000.0 - math.log(3)])
    assert probs == pytest.approx([0.75, 0.25])


def test_an_option_offered_twice_counts_once_in_the_mass():
    lp = math.log(0.6)
    assert covered_mass([(1, 21), (1, 21)], [lp, lp]) == pytest.approx(0.6)
    assert covered_mass([(1, 21), (2, 21)], [lp, math.log(0.3)]) == pytest.approx(0.9)
