"""The test that matters: a converted LoRA gives llama.cpp the same distributions as peft.

A tiny random llama model is held both by transformers (+ a random peft LoRA on every projection)
and by llama.cpp (F32 GGUF + our converted GGUF LoRA). Next-token logprobs must agree at every
position of several token sequences, at scale 1 and 0.5; skipping the q/k rotary permutation of
lora_B must visibly fail, so this test can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
peft = pytest.importorskip("peft")

from tiny_llama import hf_model  # noqa: E402

from adapters.convert import convert_peft  # noqa: E402
from engine import LocalBackend  # noqa: E402
from engine.types import AdapterSpec, ModelConfig  # noqa: E402

pytestmark = pytest.mark.train

SEQUENCES = [
    [5, 77, 123, 260, 42, 9, 280, 33, 100, 200, 7, 299],
    [1, 259, 261, 262, 263, 264, 265, 266],
    [150, 150, 150, 3, 4, 250, 251, 252, 253, 254, 255, 256, 257, 258],
]
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


@pytest.fixture(scope="module")
def peft_model(tiny_config, tiny_weights):
    torch.manual_seed(1234)
    config = peft.LoraConfig(r=8, lora_alpha=16, target_modules=TARGETS, lora_dropout=0.0,
                             alpha_pattern={"v_proj": 4}, init_lora_weights=True)
    model = peft.get_peft_model(hf_model(tiny_config, tiny_weights), config)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:  # peft starts B at zero: an adapter that does nothing
                param.copy_(torch.randn_like(param) * 0.15)
    return model.eval()


@pytest.fixture(scope="module")
def converted(tmp_path_factory, peft_model, tiny_gguf):
    folder = tmp_path_factory.mktemp("peft")
    peft_model.save_pretrained(folder)
    out = folder.parent / "lora.gguf"
    unpermuted = folder.parent / "lora-unpermuted.gguf"
    convert_peft(folder, tiny_gguf, out)
    convert_peft(folder, tiny_gguf, unpermuted, permute_qk=False)
    return out, unpermuted


@pytest.fixture(scope="module")
def backend(tiny_gguf):
    with LocalBackend(ModelConfig(str(tiny_gguf), n_ctx=256, n_threads=2)) as b:
        b.start()
        yield b


def _peft_logprobs(model, scale: float | None) -> list[np.ndarray]:
    """Logprobs at every position; scale None = base model, else LoRA scaled like llama.cpp's."""
    from peft.tuners.lora import LoraLayer

    layers = [m for m in model.modules() if isinstance(m, LoraLayer)]
    saved = [dict(m.scaling) for m in layers]
    try:
        for m in layers:
            m.scaling["default"] *= scale or 1.0
        with torch.no_grad():
            if scale is None:
                with model.disable_adapter():
                    return [_log_softmax(model(torch.tensor([s])).logits[0].numpy()) for s in SEQUENCES]
            return [_log_softmax(model(torch.tensor([s])).logits[0].numpy()) for s in SEQUENCES]
    finally:
        for m, scaling in zip(layers, saved, strict=True):
            m.scaling.clear()
            m.scaling.update(scaling)


def _llama_logprobs(backend) -> list[np.ndarray]:
    return [np.stack([_log_softmax(np.array(backend.logits(s[:k]))) for k in range(1, len(s) + 1)])
            for s in SEQUENCES]


def _worst_top10_gap(expected: list[np.ndarray], got: list[np.ndarray]) -> tuple[float, int]:
    """(largest |logprob difference| over each position's top 10, positions whose argmax differs)."""
    worst, argmax_misses = 0.0, 0
    for e, g in zip(expected, got, strict=True):
        for row_e, row_g in zip(e, g, strict=True):
            top = np.argsort(row_e)[::-1][:10]
            worst = max(worst, float(np.abs(row_e[top] - row_g[top]).max()))
            argmax_misses += int(row_e.argmax() != row_g.argmax())
    return worst, argmax_misses


def test_base_model_agrees(backend, peft_model):
    backend.set_adapters(())
    gap, misses = _worst_top10_gap(_peft_logprobs(peft_model, None), _llama_logprobs(backend))
    assert misses == 0 and gap < 0.05, (gap, misses)


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_converted_lora_agrees_with_peft(backend, peft_model, converted, scale):
    expected = _peft_logprobs(peft_model, scale)
    base_gap, _ = _worst_top10_gap(expected, _peft_logprobs(peft_model, None))
    assert base_gap > 1.0, "the random LoRA should move the distribution noticeably"
    backend.set_adapters((AdapterSpec(str(converted[0]), scale),))
    gap, misses = _worst_top10_gap(expected, _llama_logprobs(backend))
    backend.set_adapters(())
    assert misses == 0, f"argmax differs at {misses} positions"
    assert gap < 0.05, f"top-10 logprobs differ by up to {gap:.4f} nats"


def test_skipping_the_qk_permutation_fails(backend, peft_model, converted):
    expected = _peft_logprobs(peft_model, 1.0)
    backend.set_adapters((AdapterSpec(str(converted[1]), 1.0),))
    gap, _ = _worst_top10_gap(expected, _llama_logprobs(backend))
    backend.set_adapters(())
    assert gap > 0.5, f"the unpermuted adapter should be visibly wrong, yet it is within {gap:.4f}"
