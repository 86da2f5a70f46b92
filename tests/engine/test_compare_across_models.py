"""A comparison with a lane on a second model, on the real default model: the second model runs in
a worker of its own, each lane decodes exactly what it decodes alone on its model, the pairs
across workers read exactly as pairs within one, and models with different vocabularies are
refused before anything loads.

The second model is written by the test: a copy of the default model whose output norm is
scaled by 0.6 (so its distributions are flatter: a different model with the same vocabulary).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from engine import LocalBackend, RequestError
from engine.compare import CompareLane, CompareRequest
from engine.gguf import vocabulary_digest
from engine.types import Configuration, GenerationRequest, Message, ModelConfig, SamplingSettings, SystemPrompt

pytestmark = pytest.mark.model

ASK = (Message("user", "Name one colour of the rainbow."),)


@pytest.fixture(scope="module")
def flatter_model(default_model, tmp_path_factory):
    """The default model with output_norm.weight x 0.6, as a new file."""
    from gguf import GGUFReader

    path = tmp_path_factory.mktemp("models") / "flatter.gguf"
    shutil.copyfile(default_model, path)
    tensor = next(t for t in GGUFReader(default_model).tensors if t.name == "output_norm.weight")
    assert tensor.tensor_type == 0  # F32
    patched = np.memmap(path, dtype=np.float32, mode="r+", offset=tensor.data_offset, shape=(tensor.n_elements,))
    patched *= 0.6
    patched.flush()
    del patched
    return str(path)


@pytest.fixture(scope="module")
def copied_model(default_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("copy") / "same.gguf"
    shutil.copyfile(default_model, path)
    return str(path)


def numbers(steps):
    return [(s.id, s.logprob, s.entropy, s.rank, tuple((t.id, t.logprob) for t in s.top)) for s in steps]


def run(backend, request):
    stream = backend.compare(request)
    steps = list(stream)
    assert stream.result is not None
    return steps, stream.result


def alone(model, lane, max_tokens):
    with LocalBackend(ModelConfig(model, n_ctx=1024)) as solo:
        stream = solo.generate(GenerationRequest(ASK, sampling=lane.sampling, max_tokens=max_tokens,
                                                 configuration=lane.configuration))
        list(stream)
        assert stream.result is not None
        return stream.result


def test_a_lane_on_another_model_decodes_what_it_decodes_alone_there(default_model, flatter_model):
    lanes = (CompareLane("base"),
             CompareLane("flatter", Configuration(model_path=flatter_model),
                         SamplingSettings(temperature=0.7, seed=5)))
    with LocalBackend(ModelConfig(default_model, n_ctx=1024)) as backend:
        steps, result = run(backend, CompareRequest(ASK, lanes, max_tokens=12))
        memory = backend.worker_memory()
        assert [(m.model_path, m.extra) for m in memory] == [(default_model, False), (flatter_model, True)]
        assert all(m.resident_bytes and m.resident_bytes > 50_000_000 for m in memory)  # each holds a model
        backend.release_extra_workers()
        assert [m.extra for m in backend.worker_memory()] == [False]
    assert result.names == ("base", "flatter")
    assert result.lanes[1].provenance.model_path == flatter_model
    for lane, model, answer in zip(lanes, (default_model, flatter_model), result.lanes, strict=True):
        expected = alone(model, lane, 12)
        assert numbers(answer.steps) == numbers(expected.steps)
        assert answer.text == expected.text
    # The flatter model is another distribution at every position, measured across the workers.
    pairs = [p for s in steps for p in s.pairs]
    assert pairs and all(p.kl_ab > 0.01 and p.js > 0 for p in pairs)
    assert result.pairs[0].positions == min(len(result.lanes[0].steps), len(result.lanes[1].steps))


def test_pairs_across_workers_read_as_pairs_within_one(default_model, copied_model):
    """Two lanes on one worker and the same two with one on a copy of the model (a second worker):
    the same steps and the same pairs, bit for bit."""
    one = (CompareLane("base"), CompareLane("pirate", Configuration(system=SystemPrompt.custom("You are a pirate."))))
    two = (one[0], CompareLane("pirate", Configuration(system=SystemPrompt.custom("You are a pirate."),
                                                        model_path=copied_model)))
    with LocalBackend(ModelConfig(default_model, n_ctx=1024)) as backend:
        steps_one, result_one = run(backend, CompareRequest(ASK, one, max_tokens=10))
        steps_two, result_two = run(backend, CompareRequest(ASK, two, max_tokens=10))
        assert len(backend.worker_memory()) == 2
    assert [s.pairs for s in steps_one] == [s.pairs for s in steps_two]
    assert [[numbers([x]) if x else None for x in s.steps] for s in steps_one] == \
        [[numbers([x]) if x else None for x in s.steps] for s in steps_two]
    assert result_one.pairs == result_two.pairs


def test_teacher_forced_on_the_other_models_answer(default_model, flatter_model):
    lanes = (CompareLane("base"), CompareLane("flatter", Configuration(model_path=flatter_model)))
    with LocalBackend(ModelConfig(default_model, n_ctx=1024)) as backend:
        steps, result = run(backend, CompareRequest(ASK, lanes, max_tokens=8, forced_from="flatter"))
    own = alone(flatter_model, lanes[1], 8)
    forced = [s.id for s in own.steps]
    assert result.forced
    assert [s.id for s in result.lanes[0].steps] == forced == [s.id for s in result.lanes[1].steps]
    assert all(s.forced for s in result.lanes[0].steps)
    assert [s.logprob for s in result.lanes[1].steps] == [s.logprob for s in own.steps]
    assert all(not p.differ for s in steps for p in s.pairs)


def test_cancelling_stops_every_worker(default_model, flatter_model):
    lanes = (CompareLane("base"), CompareLane("flatter", Configuration(model_path=flatter_model)))
    with LocalBackend(ModelConfig(default_model, n_ctx=1024)) as backend:
        stream = backend.compare(CompareRequest(ASK, lanes, max_tokens=200))
        seen = []
        for step in stream:
            seen.append(step)
            if len(seen) == 3:
                backend.cancel()
        assert stream.result is not None
        assert {answer.finish_reason for answer in stream.result.lanes} <= {"cancelled", "stop"}
        assert len(seen) < 20
        # Both workers answer the next request (nothing left in either pipe).
        steps, result = run(backend, CompareRequest(ASK, lanes, max_tokens=3))
        assert len(steps) == 3


def test_a_model_with_another_vocabulary_is_refused(default_model, tmp_path):
    from gguf import GGUFWriter

    other = tmp_path / "other-vocab.gguf"
    writer = GGUFWriter(str(other), "llama")
    writer.add_tokenizer_model("llama")
    writer.add_token_list(["<unk>", "a", "b"])
    writer.add_tensor("token_embd.weight", np.zeros((3, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    assert vocabulary_digest(str(other)) != vocabulary_digest(default_model)
    lanes = (CompareLane("base"), CompareLane("other", Configuration(model_path=str(other))))
    with LocalBackend(ModelConfig(default_model, n_ctx=1024)) as backend:
        with pytest.raises(RequestError, match="different vocabularies"):
            backend.compare(CompareRequest(ASK, lanes, max_tokens=3))
        assert backend.worker_memory()[-1].extra is False  # no second worker was started
