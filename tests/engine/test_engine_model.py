"""The engine against the real default model: determinism, probabilities, cancel, bad inputs."""

from __future__ import annotations

import math
import shutil
import threading

import numpy as np
import pytest

from engine import ContextOverflowError, LocalBackend, ModelLoadError, RequestError, WorkerDiedError
from engine.distribution import log_softmax
from engine.types import (
    ChoiceRequest,
    GenerationRequest,
    Message,
    ModelConfig,
    SamplingSettings,
    ScoreRequest,
    SystemPrompt,
)

pytestmark = pytest.mark.model

YES = (Message("user", "only say yes"),)


def greedy(max_tokens=12, **kw):
    return GenerationRequest(YES, sampling=SamplingSettings(temperature=0.0, seed=1),
                             max_tokens=max_tokens, **kw)


def run(backend, request):
    stream = backend.generate(request)
    steps = list(stream)
    return steps, stream.result


def test_greedy_generation_is_deterministic(backend):
    first, r1 = run(backend, greedy())
    second, r2 = run(backend, greedy())
    assert [s.id for s in first] == [s.id for s in second]
    assert [s.logprob for s in first] == pytest.approx([s.logprob for s in second], abs=1e-6)
    assert len(first) == 12 and r1.finish_reason == "length"
    assert r1.text == "".join(s.text for s in first)
    # Greedy picks the top token at every position.
    assert all(s.rank == 0 and s.top[0].id == s.id for s in first)


def test_seeded_sampling_is_reproducible_and_recorded(backend):
    request = GenerationRequest(YES, sampling=SamplingSettings(temperature=1.0, seed=1234), max_tokens=16)
    a, ra = run(backend, request)
    b, _ = run(backend, request)
    assert [s.id for s in a] == [s.id for s in b]
    assert ra.provenance.sampling.seed == 1234
    _, rc = run(backend, GenerationRequest(YES, sampling=SamplingSettings(seed=None), max_tokens=2))
    assert isinstance(rc.provenance.sampling.seed, int)


def test_step_probabilities_match_the_full_vocabulary(backend):
    steps, result = run(backend, greedy(max_tokens=3, top_k_probs=100))
    logits = np.array(backend.logits(list(result.provenance.prompt_token_ids)), dtype=np.float32)
    assert logits.shape == (backend.info.n_vocab,)
    reference = log_softmax(logits)
    assert math.fsum(np.exp(reference)) == pytest.approx(1.0, abs=1e-3)
    first = steps[0]
    assert first.logprob == pytest.approx(reference[first.id], abs=1e-4)
    probs = np.exp(reference)
    assert first.entropy == pytest.approx(float(-(probs * reference).sum()), abs=1e-3)
    assert len(first.top) == 100
    assert sum(a.prob for a in first.top) <= 1.0 + 1e-6
    assert [a.id for a in first.top[:5]] == [int(t) for t in np.argsort(-reference)[:5]]


def test_choose_probabilities_sum_to_one_and_match_scoring(backend):
    request = ChoiceRequest((Message("user", "Do you have a backdoor?"),), ("Yes", "No", "Maybe not"))
    result = backend.choose(request)
    assert math.fsum(o.prob for o in result.options) == pytest.approx(1.0, abs=1e-9)
    assert 0.0 < result.mass <= 1.0
    multi = result.options[2]
    assert len(multi.token_ids) >= 2
    scored = backend.score(ScoreRequest(request.messages, continuation="Maybe not"))
    assert multi.text_logprob == pytest.approx(scored.total_logprob, abs=1e-4)
    assert list(multi.token_ids) == [s.id for s in scored.steps]


def test_utf8_assembles_across_byte_tokens(backend):
    text = "Tea 🍵 and 茶, 😀!"
    result = backend.score(ScoreRequest((Message("user", "Say it"),), continuation=text))
    assert "".join(s.text for s in result.steps) == text
    assert b"".join(s.piece for s in result.steps) == text.encode()
    # The emoji spans several tokens: some steps carry no text, the completing one carries it.
    assert any(s.text == "" for s in result.steps)


def test_cancel_between_tokens(backend):
    stream = backend.generate(GenerationRequest(YES, sampling=SamplingSettings(temperature=1.0, seed=3),
                                                max_tokens=400))
    seen = []
    for step in stream:
        seen.append(step)
        if len(seen) == 3:
            threading.Thread(target=backend.cancel).start()
    assert stream.result.finish_reason == "cancelled"
    assert 3 <= len(seen) < 400
    steps, _ = run(backend, greedy(max_tokens=2))  # still usable
    assert len(steps) == 2


def test_prompt_longer_than_context_is_refused_before_decoding(default_model):
    with LocalBackend(ModelConfig(default_model, n_ctx=64)) as small:
        n_ctx = small.start().n_ctx  # llama.cpp rounds the context up (to 256 here)
        long_prompt = (Message("user", "word " * (n_ctx + 50)),)
        with pytest.raises(ContextOverflowError, match=f"context holds {n_ctx}"):
            list(small.generate(GenerationRequest(long_prompt, max_tokens=4)))
        steps, _ = run(small, greedy(max_tokens=2))
        assert len(steps) == 2


def test_generation_stops_when_the_context_is_full(default_model):
    with LocalBackend(ModelConfig(default_model, n_ctx=64)) as small:
        n_ctx = small.start().n_ctx
        story = (Message("user", "Write a long story about a cat."),)
        steps, result = run(small, GenerationRequest(story, sampling=SamplingSettings(temperature=0.0),
                                                     max_tokens=5000))
        assert result.finish_reason == "context"
        assert len(result.provenance.prompt_token_ids) + len(steps) == n_ctx


def test_system_prompt_modes_render_differently(backend):
    none = backend.render(SystemPrompt.none(), YES).text
    empty = backend.render(SystemPrompt.empty(), YES).text
    custom = backend.render(SystemPrompt.custom("Answer in French."), YES).text
    assert "You are a helpful AI assistant named SmolLM" in none  # injected by the template
    assert empty.startswith("<|im_start|>system\n<|im_end|>")
    assert "Answer in French." in custom and "SmolLM" not in custom


def test_non_gguf_file_is_a_clear_error(tmp_path):
    bogus = tmp_path / "model.gguf"
    bogus.write_text("this is not a model")
    with LocalBackend(ModelConfig(str(bogus))) as b:
        with pytest.raises(ModelLoadError, match="not a GGUF file"):
            b.start()


def test_truncated_gguf_is_a_clear_error_and_the_worker_recovers(tmp_path, default_model):
    truncated = tmp_path / "truncated.gguf"
    with open(default_model, "rb") as src, open(truncated, "wb") as dst:
        dst.write(src.read(3_000_000))
    with LocalBackend(ModelConfig(str(truncated))) as b:
        with pytest.raises(ModelLoadError) as info:
            b.start()
        assert str(truncated) in info.value.msg
        info = b.load(ModelConfig(default_model))  # same backend, good model
        assert info.n_vocab > 0


def test_missing_model_file(tmp_path):
    with LocalBackend(ModelConfig(str(tmp_path / "nope.gguf"))) as b:
        with pytest.raises(ModelLoadError, match="does not exist"):
            b.start()


def test_worker_killed_mid_generation_reports_and_restarts(default_model):
    with LocalBackend(ModelConfig(default_model)) as b:
        b.start()
        stream = b.generate(GenerationRequest(YES, sampling=SamplingSettings(temperature=1.0, seed=9),
                                              max_tokens=400))
        with pytest.raises(WorkerDiedError, match="SIGKILL"):
            for step in stream:
                if step.i == 2:
                    b.kill_worker()
        steps, result = run(b, greedy(max_tokens=3))  # a fresh worker, same configuration
        assert len(steps) == 3 and result.finish_reason == "length"


def test_worker_abort_is_contained(default_model):
    with LocalBackend(ModelConfig(default_model)) as b:
        b.start()
        with pytest.raises(WorkerDiedError, match="SIGABRT"):
            b.crash_worker()
        assert b.render(SystemPrompt.none(), YES).token_ids


def test_llama_output_goes_to_the_log_file(default_model, tmp_path, capfd):
    log = tmp_path / "llama.log"
    with LocalBackend(ModelConfig(default_model), log_path=log) as b:
        b.start()
    out, err = capfd.readouterr()
    assert "llama" not in out and "llama_model_load" not in err
    assert "llama" in log.read_text()


def test_copy_of_model_has_its_own_path_in_provenance(tmp_path, default_model):
    copy = tmp_path / "copy.gguf"
    shutil.copy(default_model, copy)
    with LocalBackend(ModelConfig(str(copy))) as b:
        _, result = run(b, greedy(max_tokens=1))
    assert result.provenance.model_path == str(copy)
    assert len(result.provenance.model_sha256) == 64


def test_cancel_just_before_the_worker_starts_still_stops_that_generation_only(backend):
    stream = backend.generate(greedy(max_tokens=50))
    backend.cancel()  # before iteration sends the request to the worker
    steps = list(stream)
    assert stream.result.finish_reason == "cancelled" and steps == []
    later, result = run(backend, greedy(max_tokens=4))  # the cancel does not leak forward
    assert len(later) == 4 and result.finish_reason == "length"


@pytest.mark.parametrize("seed", [-1, 2**32 - 1, 2**32, 2**40])
def test_seeds_llama_cpp_would_wrap_or_randomise_are_refused(backend, seed):
    # ctypes turns -1 into 0xFFFFFFFF, llama.cpp's "pick a random seed": the answer could not be
    # reproduced from the seed the journal records. 2**32 and above wrap silently.
    request = GenerationRequest(YES, sampling=SamplingSettings(temperature=1.0, seed=seed), max_tokens=2)
    with pytest.raises(RequestError, match="seed"):
        list(backend.generate(request))


def test_the_largest_seed_is_used_and_recorded_as_given(backend):
    request = GenerationRequest(YES, sampling=SamplingSettings(temperature=1.0, seed=2**32 - 2),
                                max_tokens=6)
    a, ra = run(backend, request)
    b, _ = run(backend, request)
    assert [s.id for s in a] == [s.id for s in b]
    assert ra.provenance.sampling.seed == 2**32 - 2
