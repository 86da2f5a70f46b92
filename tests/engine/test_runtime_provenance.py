"""Every result names where its numbers came from (Provenance.runtime), on the real default model:
`flash_attn` reaches llama.cpp (on and off give other numbers, and the provenance says which was
in effect; auto resolves to on with this CPU build), and the context's own settings are recorded.
Thread counts do not change the numbers (why sessions/runtime_diff.py does not compare them)."""

from __future__ import annotations

import pytest

from engine import LocalBackend
from engine.types import FlashAttention, GenerationRequest, Message, ModelConfig, SamplingSettings

pytestmark = pytest.mark.model

REQUEST = GenerationRequest((Message("user", "Why is the sky blue? Answer in one sentence."),),
                            sampling=SamplingSettings(temperature=0.0), max_tokens=6, top_k_probs=10)


def answer(model: str, **config):
    with LocalBackend(ModelConfig(model, n_ctx=512, kv_sequences=1, **config)) as backend:
        stream = backend.generate(REQUEST)
        for _ in stream:
            pass
        assert stream.result is not None
        return stream.result


def numbers(result) -> list[float]:
    return [alt.logprob for step in result.steps for alt in step.top]


def test_flash_attention_on_off_and_auto_reach_llama_cpp_and_the_provenance(default_model):
    on = answer(default_model, flash_attn=FlashAttention.ON, n_threads=2)
    off = answer(default_model, flash_attn=FlashAttention.OFF, n_threads=2)
    auto = answer(default_model, n_threads=2)
    assert on.provenance.runtime.flash_attn is FlashAttention.ON
    assert on.provenance.runtime.flash_attn_in_effect is True
    assert off.provenance.runtime.flash_attn is FlashAttention.OFF
    assert off.provenance.runtime.flash_attn_in_effect is False
    assert auto.provenance.runtime.flash_attn is FlashAttention.AUTO
    assert auto.provenance.runtime.flash_attn_in_effect is True  # llama.cpp's CPU kernel has it
    assert numbers(on) != numbers(off)  # not silently ignored
    assert numbers(auto) == numbers(on)


def test_the_runtime_records_the_device_the_batches_and_the_threads(default_model):
    runtime = answer(default_model, n_threads=1).provenance.runtime
    assert "CPU" in runtime.backends and runtime.device_names == "CPU"
    assert runtime.devices[0].startswith("CPU")
    assert (runtime.n_gpu_layers, runtime.layers_offloaded, runtime.layers_total) == (0, 0, 31)
    assert (runtime.type_k, runtime.type_v) == ("f16", "f16")
    assert (runtime.n_batch, runtime.n_ubatch) == (512, 64)  # the engine's prompt blocks
    assert (runtime.n_threads, runtime.n_threads_batch) == (1, 1)


def test_thread_counts_do_not_change_the_numbers(default_model):
    assert numbers(answer(default_model, n_threads=1)) == numbers(answer(default_model, n_threads=2))
