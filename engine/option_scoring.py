"""Forced choice, the arithmetic: which tokens make an option a complete answer, and what the
options' log-likelihoods add up to.

An option scored as a *prefix* ("the answer starts with these tokens") makes "Yes" at least as
likely as "Yes, definitely", and the options' probabilities can sum past 1. Scored as a *complete
answer* (the option's tokens as the chat template renders that assistant message, then the
end-of-turn token that stops a generation), distinct options are distinct finished answers: none
is a prefix of another, so their probabilities sum to at most 1. This module holds those rules
as pure functions over token ids (the model is asked through the predicates passed in), so they
read and test without llama.cpp; engine/llama_backend.py decodes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import RequestError

TokenTest = Callable[[int], bool]


@dataclass(frozen=True)
class AnswerTokens:
    """An option as the tokens that are scored: its text, then the end of the turn (if any)."""

    text_ids: tuple[int, ...]
    end_ids: tuple[int, ...] = ()

    @property
    def ids(self) -> tuple[int, ...]:
        return self.text_ids + self.end_ids


@dataclass(frozen=True)
class TokenKinds:
    """What the model's vocabulary says about a token, for splitting a rendered answer."""

    is_end: TokenTest  # ends a generation (llama.cpp's end-of-generation set)
    is_control: TokenTest  # a special token (role markers, end of turn)
    is_blank: TokenTest  # its text is whitespace only
    describe: Callable[[Sequence[int]], str]  # tokens as readable text, for error messages


def complete_answer(option: str, prompt_ids: Sequence[int], answer_ids: Sequence[int],
                    kinds: TokenKinds) -> AnswerTokens:
    """Split the tokens of a conversation rendered with `option` as the assistant's message.

    `prompt_ids` are those of the same conversation rendered with the generation prompt (what
    the model is asked); it must be a token prefix of `answer_ids`, or the model would be scored
    on a prompt it is never shown. After it come the option's text tokens, then the end of the
    turn: the first end-of-generation token (with any special tokens right before it). What the
    template writes after that (a newline) is never generated, so it does not count.
    """
    n = len(prompt_ids)
    if list(answer_ids[:n]) != list(prompt_ids):
        at = next((i for i, (a, b) in enumerate(zip(prompt_ids, answer_ids, strict=False)) if a != b),
                  min(n, len(answer_ids)))
        raise RequestError(
            f"The option {option!r} cannot be scored as a complete answer: rendered as the "
            f"assistant's message, its text merges with the end of the prompt into other tokens "
            f"(from prompt token {at}: the prompt ends {kinds.describe(prompt_ids[at:])!r}, the "
            f"answer reads {kinds.describe(answer_ids[at:n + 1])!r}), so the model would be "
            f"scored after a prompt it is never given. Change the option's leading characters, "
            f"or use --mode prefix to score its tokens on their own."
        )
    rest = list(answer_ids[n:])
    end = next((i for i, token in enumerate(rest) if kinds.is_end(token)), None)
    if end is None:
        raise RequestError(
            f"The chat template puts no end-of-turn token after an assistant message (it renders "
            f"{kinds.describe(rest)!r} after the prompt), so the option {option!r} cannot be scored "
            f"as a complete answer. Use --mode prefix to score it as the start of an answer."
        )
    after = rest[end + 1:]
    if not all(kinds.is_blank(t) or kinds.is_control(t) for t in after):
        raise RequestError(
            f"The option {option!r} contains the end of a turn: the answer would stop at "
            f"{kinds.describe(rest[end:end + 1])!r} before {kinds.describe(after)!r}."
        )
    start = end
    while start > 0 and kinds.is_control(rest[start - 1]):
        start -= 1
    return AnswerTokens(tuple(rest[:start]), tuple(rest[start:end + 1]))


def log_normaliser(logits: np.ndarray) -> float:
    """log(sum(exp(logits))), stably: a token's log-probability is its logit minus this.

    The same sums as engine/distribution.py's `summarise` (float32 exponentials of the logits
    shifted by their maximum, added in float64), so both readouts agree.
    """
    peak = float(logits.max())
    return peak + math.log(float(np.exp(logits - peak).sum(dtype=np.float64)))


def token_logprob(logits: np.ndarray, token: int) -> float:
    return float(logits[token]) - log_normaliser(logits)


def normalised(logprobs: Sequence[float]) -> list[float]:
    """exp(logprob) normalised over the options, computed without underflow."""
    peak = max(logprobs)
    weights = [math.exp(lp - peak) for lp in logprobs]
    total = math.fsum(weights)
    return [w / total for w in weights]


def covered_mass(answers: Sequence[tuple[int, ...]], logprobs: Sequence[float]) -> float:
    """The probability the options cover together: each distinct token sequence counted once
    (an option offered twice is one answer, not twice the mass)."""
    distinct = dict(zip(answers, logprobs, strict=True))
    return math.fsum(math.exp(lp) for lp in distinct.values())
