"""A comparison on the real default model: each lane decodes exactly what it decodes alone, the
pairs' divergences are measured on the lanes' own distributions, a teacher-forced comparison
scores every lane on one lane's answer exactly as `score` would, and bad requests are refused
clearly."""

from __future__ import annotations

import math

import pytest

from adapters.random_lora import random_lora
from engine import LocalBackend, RequestError
from engine.compare import CompareLane, CompareRequest, CompareResult
from engine.types import (
    AdapterSpec,
    Configuration,
    GenerationRequest,
    Message,
    ModelConfig,
    SamplingSettings,
    ScoreRequest,
    SystemPrompt,
)

pytestmark = pytest.mark.model

ASK = (Message("user", "Name one colour of the rainbow."),)


@pytest.fixture(scope="module")
def lora(default_model, tmp_path_factory):
    return str(random_lora(default_model, tmp_path_factory.mktemp("lora") / "tiny.gguf", rank=8, std=0.05, seed=3))


@pytest.fixture(scope="module")
def lanes(lora):
    return (
        CompareLane("base"),
        CompareLane("pirate", Configuration(system=SystemPrompt.custom("You are a pirate."))),
        CompareLane("lora", Configuration(adapters=(AdapterSpec(lora, 2.0),)),
                    SamplingSettings(temperature=0.8, seed=11)),
    )


def numbers(steps):
    return [(s.id, s.logprob, s.entropy, s.rank, tuple((t.id, t.logprob) for t in s.top), s.post, s.sampler)
            for s in steps]


def run(backend, request) -> tuple[list, CompareResult]:
    stream = backend.compare(request)
    steps = list(stream)
    assert stream.result is not None
    return steps, stream.result


def test_each_lane_decodes_exactly_what_it_decodes_alone(default_model, lanes):
    config = ModelConfig(default_model, n_ctx=1024)
    with LocalBackend(config) as backend:
        steps, result = run(backend, CompareRequest(ASK, lanes, max_tokens=12))
    for lane, answer in zip(lanes, result.lanes, strict=True):
        with LocalBackend(config) as alone:
            stream = alone.generate(GenerationRequest(ASK, sampling=lane.sampling, max_tokens=12,
                                                      configuration=lane.configuration))
            list(stream)
        assert stream.result is not None
        assert numbers(answer.steps) == numbers(stream.result.steps), lane.name
        assert answer.text == stream.result.text and answer.finish_reason == stream.result.finish_reason
        assert answer.provenance.rendered_prompt == stream.result.provenance.rendered_prompt
    assert result.names == ("base", "pirate", "lora") and not result.forced
    # Every position a pair both reached has its divergence; different configurations diverge.
    for step in steps:
        live = [i for i, s in enumerate(step.steps) if s is not None]
        assert {(p.a, p.b) for p in step.pairs} == {(a, b) for a in live for b in live if a < b}
        for pair in step.pairs:
            assert 0 <= pair.js <= math.log(2) + 1e-12 and pair.kl_ab >= 0 and pair.kl_ba >= 0
            a, b = step.steps[pair.a], step.steps[pair.b]
            assert pair.differ == (a.id != b.id)
    base_pirate = next(p for p in result.pairs if (p.a, p.b) == (0, 1))
    assert base_pirate.mean_kl_ab > 0.01 and base_pirate.positions >= 1


def test_the_same_configuration_twice_does_not_diverge(backend):
    twins = (CompareLane("one"), CompareLane("two"))
    steps, result = run(backend, CompareRequest(ASK, twins, max_tokens=6))
    [summary] = result.pairs
    assert summary.mean_kl_ab == 0 and summary.mean_js == 0 and summary.differing == 0
    assert summary.first_difference is None
    assert numbers(result.lanes[0].steps) == numbers(result.lanes[1].steps)


def test_teacher_forced_on_one_lanes_answer_scores_every_lane_as_score_does(backend, lanes):
    request = CompareRequest(ASK, lanes[:2], max_tokens=8, forced_from="pirate")
    steps, result = run(backend, request)
    assert result.forced and all(s.forced for lane in result.lanes for s in lane.steps)
    pirate_alone = backend.generate(GenerationRequest(ASK, sampling=lanes[1].sampling, max_tokens=8,
                                                      configuration=lanes[1].configuration))
    list(pirate_alone)
    assert pirate_alone.result is not None
    forced_ids = tuple(s.id for s in pirate_alone.result.steps)
    for lane, answer in zip(lanes[:2], result.lanes, strict=True):
        assert tuple(s.id for s in answer.steps) == forced_ids
        scored = backend.score(ScoreRequest(ASK, "", continuation_ids=forced_ids, configuration=lane.configuration))
        assert [s.logprob for s in answer.steps] == [s.logprob for s in scored.steps], lane.name
    # Forced on the same tokens, the pairs never "differ"; their distributions still do.
    assert all(not p.differ for step in steps for p in step.pairs)
    assert result.pairs[0].differing == 0 and result.pairs[0].mean_kl_ab > 0


@pytest.mark.parametrize(("lanes_", "message"), [
    (tuple(CompareLane(f"c{i}") for i in range(5)), "1 to 4 configurations"),
    ((CompareLane("a"), CompareLane("a")), "its own name"),
])
def test_bad_requests_are_refused_clearly(backend, lanes_, message):
    with pytest.raises(RequestError, match=message):
        run(backend, CompareRequest(ASK, lanes_, max_tokens=2))
    with pytest.raises(RequestError, match="none of the configurations"):
        run(backend, CompareRequest(ASK, (CompareLane("a"),), forced_from="b"))


def test_more_lanes_than_kv_sequences_is_refused(default_model):
    with LocalBackend(ModelConfig(default_model, n_ctx=512, kv_sequences=2)) as small:
        with pytest.raises(RequestError, match="raise --kv-sequences"):
            run(small, CompareRequest(ASK, (CompareLane("a"), CompareLane("b"), CompareLane("c")), max_tokens=2))
