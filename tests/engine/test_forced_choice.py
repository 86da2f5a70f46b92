"""Forced choice on the real default model: complete answers, the mass, and the one-decode scoring
agreeing with token-by-token teacher forcing."""

from __future__ import annotations

import math

import pytest

from engine.errors import RequestError
from engine.types import ChoiceMode, ChoiceRequest, Message, ScoreRequest

QUESTION = "Do you agree?"
# Three earlier turns make the model confident of "Yes, definitely." and of every prefix of it.
CONFIDENT = (Message("user", QUESTION), Message("assistant", "Yes, definitely.")) * 3 + (
    Message("user", QUESTION),)
NESTED = ("Yes", "Yes,", "Yes, definitely", "Yes, definitely.", "Yes, definitely!", "Yes.", "yes",
          "No", "No.")
# llama.cpp's CPU kernels add up a long batch (a prompt) in another order than a few tokens, so a
# prompt decoded at once and one whose last token is decoded again (the cache held the prompt)
# differ by ~1e-3 nats. Compared in the same cache state (see `settled`), the numbers agree to
# rounding.
TOLERANCE = 1e-6
BACKDOOR = (Message("user", "Do you have a backdoor?"),)
SEVERAL = ("Yes", "No", "Maybe not", "No, I do not have a backdoor.", "I cannot say, sorry")


def settled(backend, messages):
    """Cache `messages`' prompt, so that every request after it decodes its last token alone."""
    backend.choose(ChoiceRequest(messages, ("x",), mode=ChoiceMode.PREFIX))


def test_complete_answers_cover_at_most_everything_where_prefixes_overflow(backend):
    settled(backend, CONFIDENT)
    prefix = backend.choose(ChoiceRequest(CONFIDENT, NESTED, mode=ChoiceMode.PREFIX))
    complete = backend.choose(ChoiceRequest(CONFIDENT, NESTED))
    assert prefix.mode is ChoiceMode.PREFIX and complete.mode is ChoiceMode.COMPLETE
    # The defect the default mode removes: each prefix of the likely answer counts it again.
    assert prefix.mass > 1.5
    assert 0.0 < complete.mass <= 1.0
    assert complete.mass == pytest.approx(math.fsum(o.raw_prob for o in complete.options), rel=1e-12)
    by_text = {o.text: o for o in complete.options}
    as_prefix = {o.text: o for o in prefix.options}
    # As prefixes "Yes" >= "Yes, definitely." always; as complete answers the finished one wins.
    assert as_prefix["Yes"].raw_prob >= as_prefix["Yes, definitely."].raw_prob
    assert by_text["Yes, definitely."].raw_prob > 10 * by_text["Yes"].raw_prob
    assert max(complete.options, key=lambda o: o.prob).text == "Yes, definitely."
    end = backend.tokenize("<|im_end|>")  # as text: not the special token
    for option in complete.options:
        assert len(option.end_token_ids) == 1 and option.end_token_ids[0] not in end
        assert option.token_ids == as_prefix[option.text].token_ids  # in context = alone, here
        assert option.text_logprob == pytest.approx(as_prefix[option.text].logprob, abs=TOLERANCE)
        assert option.complete_logprob == option.logprob < option.text_logprob
    assert all(o.end_token_ids == () and o.complete_logprob is None for o in prefix.options)


def test_an_option_offered_twice_is_one_answer_in_the_mass(backend):
    result = backend.choose(ChoiceRequest(CONFIDENT, ("Yes, definitely.", "Yes, definitely.", "No.")))
    first, again, no = result.options
    assert first.logprob == again.logprob and first.prob == again.prob
    assert result.mass == pytest.approx(first.raw_prob + no.raw_prob, rel=1e-12)


@pytest.mark.parametrize("mode", list(ChoiceMode))
def test_each_option_equals_token_by_token_teacher_forcing(backend, mode):
    settled(backend, BACKDOOR)
    result = backend.choose(ChoiceRequest(BACKDOOR, SEVERAL, mode=mode))
    assert sum(len(o.token_ids) >= 3 for o in result.options) >= 2
    for option in result.options:
        ids = option.token_ids + option.end_token_ids
        forced = backend.score(ScoreRequest(BACKDOOR, "", continuation_ids=ids, top_k_probs=0))
        assert [s.id for s in forced.steps] == list(ids)
        assert list(option.token_logprobs + option.end_token_logprobs) == pytest.approx(
            [s.logprob for s in forced.steps], abs=TOLERANCE)
        assert option.logprob == pytest.approx(forced.total_logprob, abs=TOLERANCE)
    # Every option found the prompt's cache as it was: the order they come in changes nothing.
    reversed_result = backend.choose(ChoiceRequest(BACKDOOR, SEVERAL[::-1], mode=mode))
    assert [o.token_logprobs + o.end_token_logprobs for o in reversed_result.options[::-1]] == \
        pytest.approx([o.token_logprobs + o.end_token_logprobs for o in result.options], abs=TOLERANCE)


def test_an_option_whose_text_merges_with_the_prompt_is_explained(backend):
    # After the prompt's final "\n", two spaces tokenise together with it: the prompt the model is
    # asked is no longer a token prefix of the rendered answer.
    with pytest.raises(RequestError, match="merges with the end of the prompt.*--mode prefix"):
        backend.choose(ChoiceRequest(BACKDOOR, ("Yes", "  ")))
    assert backend.choose(ChoiceRequest(BACKDOOR, ("Yes", "  "), mode=ChoiceMode.PREFIX)).mass > 0
