"""A random GGUF LoRA for any llama-style base model, made with numpy alone.

Useful where the training stack is absent or too slow: the hot-swap benchmark, engine tests, and
as a control experiment ("how much does a meaningless adapter of this size move the model?").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .convert import gguf_tensor_name, read_base_model, write_lora_gguf
from .errors import AdapterToolError
from .metadata import ProvenanceValue

_MODULES = {
    "q_proj": "self_attn.q_proj", "k_proj": "self_attn.k_proj", "v_proj": "self_attn.v_proj",
    "o_proj": "self_attn.o_proj", "gate_proj": "mlp.gate_proj", "up_proj": "mlp.up_proj",
    "down_proj": "mlp.down_proj",
}
DEFAULT_TARGETS = tuple(_MODULES)


def random_lora(base_gguf: str | Path, out: str | Path, rank: int = 8, alpha: float = 16.0,
                targets: tuple[str, ...] = DEFAULT_TARGETS, std: float = 0.02, seed: int = 0) -> Path:
    """Write a LoRA with Gaussian A (1/sqrt(n_in)) and B (`std`) on `targets` of every layer."""
    base = read_base_model(base_gguf)
    rng = np.random.default_rng(seed)
    pairs = {}
    for layer in range(base.n_layers):
        for target in targets:
            if target not in _MODULES:
                raise AdapterToolError(f"Unknown target {target!r}; choose from {', '.join(_MODULES)}.")
            module = f"model.layers.{layer}.{_MODULES[target]}"
            n_in, n_out = base.tensor_shapes[gguf_tensor_name(module, base)][:2]
            a = rng.standard_normal((rank, n_in)).astype(np.float32) / np.sqrt(n_in)
            b = (rng.standard_normal((n_out, rank)) * std).astype(np.float32)
            pairs[module] = (a, b)
    provenance: dict[str, ProvenanceValue] = {"rank": rank, "alpha": float(alpha), "targets": ",".join(targets),
                  "dataset_name": f"random (seed {seed}, std {std})",
                  "base_name": Path(base_gguf).name}
    return write_lora_gguf(out, base, pairs, alpha, provenance)
