"""A prompt's numbers never depend on what the KV cache held before it.

llama.cpp's CPU kernels round a token's computation differently in batches of different sizes, so
a prompt that reused a cached prefix and decoded the rest in one batch gave other numbers than a
fresh context (up to 0.6 nats; found by the position-bias battery). Prompts are decoded in fixed
blocks at fixed positions (engine/llama_backend.py PROMPT_BLOCK) and reused in whole blocks of
cells a prompt decode computed, so every request here equals a fresh worker's bit for bit."""

from __future__ import annotations

import pytest

from engine import LocalBackend
from engine.types import ChoiceRequest, GenerationRequest, Message, ModelConfig, SamplingSettings

pytestmark = pytest.mark.model

# Prompts sharing prefixes of many lengths with each other (the template's default system prompt,
# "Pick one.", the options' first lines) and a long one spanning several prompt blocks.
ASKS = [
    "Pick one.\n\nA) apple\nB) pear",
    "Pick one.\n\nA) pear\nB) apple",
    "Choose one.\n\nA) cat\nB) dog",
    "Pick one.\n\nA) red\nB) green\nC) blue",
    "Pick one of these colours, the one you like best, and say only its letter.\n\n" +
    "\n".join(f"{chr(65 + i)}) {c}" for i, c in enumerate(["red", "green", "blue", "yellow", "purple", "orange"])),
    "Pick one.\n\nA) red\nB) green",
]
OPTIONS = {0: ("A", "B"), 1: ("A", "B"), 2: ("A", "B"), 3: ("A", "B", "C"), 4: ("A", "B", "C"), 5: ("A", "B")}


def logprobs(backend, k):
    result = backend.choose(ChoiceRequest((Message("user", ASKS[k]),), OPTIONS[k]))
    return [lp for o in result.options for lp in o.token_logprobs + o.end_token_logprobs]


def test_every_prompt_after_any_other_equals_a_fresh_worker(default_model):
    config = ModelConfig(default_model, n_ctx=1024, kv_sequences=1)  # one cache: every prompt reuses it
    fresh = []
    for k in range(len(ASKS)):
        with LocalBackend(config) as alone:
            fresh.append(logprobs(alone, k))
    with LocalBackend(config) as shared:
        for order in (range(len(ASKS)), reversed(range(len(ASKS))), [3, 0, 3, 4, 5, 4, 1]):
            for k in order:
                assert logprobs(shared, k) == fresh[k], k


def test_a_second_chat_turn_after_a_generated_answer_equals_a_fresh_worker(default_model):
    config = ModelConfig(default_model, n_ctx=1024)
    first = (Message("user", "Name a fruit."),)
    greedy = SamplingSettings(temperature=0.0)
    with LocalBackend(config) as chat:
        stream = chat.generate(GenerationRequest(first, sampling=greedy, max_tokens=20))
        list(stream)
        assert stream.result is not None
        second = first + (Message("assistant", stream.result.text), Message("user", "And a vegetable?"))
        stream = chat.generate(GenerationRequest(second, sampling=greedy, max_tokens=8))
        list(stream)
    with LocalBackend(config) as alone:
        again = alone.generate(GenerationRequest(second, sampling=greedy, max_tokens=8))
        list(again)
    assert stream.result is not None and again.result is not None
    # The answer's cells came from one-token decodes; the second prompt decodes them again in blocks.
    assert [(s.id, s.logprob, s.entropy) for s in stream.result.steps] == \
        [(s.id, s.logprob, s.entropy) for s in again.result.steps]
