"""What each readout asks the engine and the numbers it records (docs/batteries.md, "Running").

Why its own module: the runner (runner.py) decides what to run and where it goes; this module
decides what one evaluation means. Each function takes a Backend, the system prompt and user
message a configuration sends, and returns the record's readout fields: the engine's token ids
and per-token logprobs (so the numbers recompute from the record) plus `values`, the named
numbers summary.csv aggregates. Each token id comes with its text (`token_texts`,
`end_token_texts`, `answer_token_texts`), as the engine gave it with the numbers (an option's
`OptionScore.token_texts`, an answer's raw bytes), so a record reads without a model; a
backend that gives no texts (a scripted one) leaves them out and the views show the ids.

- options: `choose` in complete mode on the item's scored strings; values: each option (by its
  text as written in the file) -> probability normalised over the options;
- words: `choose` on every variant of every word; values: each category -> summed probability of
  its variants as complete answers (unnormalised), plus `mass` (all variants together); `words`
  keeps each word's own sum;
- number: `choose` on every integer's text; values: `expected_value` and `sd` renormalised over
  the mass covered, and `mass`; `numbers` keeps each integer's probability;
- free: one sampled answer (one record per sample); values: each category -> 1 or 0;
- trace: one greedy answer; values: mean entropy and mean top-1 mass over its positions. On a
  remote engine that reported only its top-k the entropy is a lower bound: the record says
  `distribution: "top-k+rest"` and the measure is `mean_entropy_topk_rest` (never pooled with
  `mean_entropy`); top-1 mass is exact either way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from engine.backend import Backend
from engine.types import (
    DISTRIBUTION_FULL,
    ChoiceMode,
    ChoiceRequest,
    ChoiceResult,
    GenerationRequest,
    GenerationResult,
    Message,
    OptionScore,
    SamplingSettings,
    SystemPrompt,
)

from ..distribution_marks import distribution_of
from .format import (
    BatteryItem,
    FreeReadout,
    NumberReadout,
    TraceReadout,
    WordsReadout,
    normalise_answer,
    word_variants,
)

OTHER = "other"  # the category of a free answer no rule matches


def piece_text(piece: bytes) -> str:
    """A token's bytes as text; bytes that are not UTF-8 (part of a character) as `\\xNN`."""
    return piece.decode("utf-8", errors="backslashreplace")


def _messages(user: str) -> tuple[Message, ...]:
    return (Message("user", user),)


def _choose(backend: Backend, system: SystemPrompt, user: str, options: Sequence[str]) -> ChoiceResult:
    return backend.choose(ChoiceRequest(_messages(user), tuple(options), system, ChoiceMode.COMPLETE))


def _has_texts(o: OptionScore) -> bool:
    """Whether the engine gave a text for every token (else the record leaves texts out)."""
    return (len(o.token_texts) == len(o.token_ids) and len(o.end_token_texts) == len(o.end_token_ids)
            and bool(o.token_texts or o.end_token_texts))


def _option_record(o: OptionScore) -> dict[str, Any]:
    record = {"text": o.text, "token_ids": list(o.token_ids), "token_logprobs": list(o.token_logprobs),
              "end_token_ids": list(o.end_token_ids), "end_token_logprobs": list(o.end_token_logprobs),
              "logprob": o.logprob, "raw_prob": o.raw_prob, "prob": o.prob}
    if _has_texts(o):
        record |= {"token_texts": list(o.token_texts), "end_token_texts": list(o.end_token_texts)}
    return record


def _choice_fields(result: ChoiceResult) -> dict[str, Any]:
    return {"mode": result.mode.value, "options": [_option_record(o) for o in result.options],
            "mass": result.mass, "prompt_token_ids": list(result.provenance.prompt_token_ids),
            "provenance": result.provenance}


def read_options(backend: Backend, item: BatteryItem, system: SystemPrompt, user: str) -> dict[str, Any]:
    result = _choose(backend, system, user, item.scored)
    values = {presented.text: score.prob for presented, score in zip(item.presented, result.options, strict=True)}
    return {**_choice_fields(result), "values": values}


def read_words(backend: Backend, readout: WordsReadout, system: SystemPrompt, user: str) -> dict[str, Any]:
    variants = [v for category in readout.categories for v in category.variants()]
    result = _choose(backend, system, user, variants)
    raw = {o.text: o.raw_prob for o in result.options}
    categories = {c.name: math.fsum(raw[v] for v in c.variants()) for c in readout.categories}
    words = {w: math.fsum(raw[v] for v in word_variants(w)) for c in readout.categories for w in c.words}
    return {**_choice_fields(result), "words": words,
            "values": {**categories, "mass": result.mass}}


def number_statistics(numbers: dict[int, float]) -> dict[str, float]:
    """Mass, expected value and sd of a distribution over integers, renormalised over its mass."""
    mass = math.fsum(numbers.values())
    if mass <= 0:
        return {"mass": mass, "expected_value": math.nan, "sd": math.nan}
    mean = math.fsum(v * p for v, p in numbers.items()) / mass
    variance = math.fsum(p * (v - mean) ** 2 for v, p in numbers.items()) / mass
    return {"mass": mass, "expected_value": mean, "sd": math.sqrt(variance)}


def read_number(backend: Backend, readout: NumberReadout, system: SystemPrompt, user: str) -> dict[str, Any]:
    result = _choose(backend, system, user, readout.strings())
    numbers = {value: o.raw_prob for value, o in zip(readout.values(), result.options, strict=True)}
    return {**_choice_fields(result), "numbers": {str(v): p for v, p in numbers.items()},
            "values": number_statistics(numbers)}


def _generation_fields(result: GenerationResult) -> dict[str, Any]:
    return {"answer": result.text, "finish_reason": result.finish_reason,
            "answer_token_ids": [s.id for s in result.steps],
            "answer_token_texts": [piece_text(s.piece) for s in result.steps],
            "answer_token_logprobs": [s.logprob for s in result.steps],
            "prompt_token_ids": list(result.provenance.prompt_token_ids), "provenance": result.provenance}


def _generate(backend: Backend, system: SystemPrompt, user: str, sampling: SamplingSettings,
              max_tokens: int) -> GenerationResult:
    stream = backend.generate(GenerationRequest(_messages(user), system, sampling, max_tokens,
                                                top_k_probs=1))
    for _ in stream:
        pass
    assert stream.result is not None, "a finished generation stream has a result"
    return stream.result


def read_free(backend: Backend, readout: FreeReadout, system: SystemPrompt, user: str,
              temperature: float, seed: int) -> dict[str, Any]:
    """One sample from the raw distribution at `temperature` (top-p 1, top-k off, min-p 0)."""
    sampling = SamplingSettings(temperature=temperature, top_p=1.0, top_k=0, min_p=0.0, seed=seed)
    result = _generate(backend, system, user, sampling, readout.max_tokens)
    category = readout.categorise(result.text) or OTHER
    names = [rule.name for rule in readout.categories] + [OTHER]
    return {**_generation_fields(result), "normalised_answer": normalise_answer(result.text),
            "category": category, "seed": seed, "temperature": temperature,
            "values": {name: 1.0 if name == category else 0.0 for name in names}}


def read_trace(backend: Backend, readout: TraceReadout, system: SystemPrompt, user: str,
               seed: int) -> dict[str, Any]:
    sampling = SamplingSettings(temperature=readout.temperature, top_p=1.0, top_k=0, min_p=0.0, seed=seed)
    result = _generate(backend, system, user, sampling, readout.max_tokens)
    entropy = [s.entropy for s in result.steps]
    top1 = [s.top1_prob for s in result.steps]
    n = max(len(entropy), 1)
    kind = distribution_of(result.steps)
    marked = {} if kind == DISTRIBUTION_FULL else {"distribution": kind}  # local records as before
    return {**_generation_fields(result), "entropy": entropy, "top1_mass": top1, "seed": seed, **marked,
            "values": {entropy_measure(kind): math.fsum(entropy) / n if entropy else math.nan,
                       "mean_top1_mass": math.fsum(top1) / n if top1 else math.nan}}


MEAN_ENTROPY_BOUND = "mean_entropy_topk_rest"  # a remote engine's top-k + rest: a lower bound


def entropy_measure(distribution: str) -> str:
    """A trace's entropy measure: `mean_entropy` over the whole vocabulary; over a remote engine's
    top-k + rest (a lower bound) its own name, so the summary never pools bounds with exact values."""
    return "mean_entropy" if distribution == DISTRIBUTION_FULL else MEAN_ENTROPY_BOUND
