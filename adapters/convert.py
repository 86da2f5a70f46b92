"""Turn a PEFT LoRA adapter (safetensors + adapter_config.json) into a GGUF LoRA for llama.cpp.

Why our own converter: llama.cpp only runs GGUF adapters, its conversion scripts are not a
library, and two details silently break an adapter without any error from llama.cpp:
- For the llama architecture, llama.cpp stores q/k weights with each head's rows interleaved for
  its rotary embedding (pairs (i, i + d/2) become rows (2i, 2i + 1)). lora_B of q_proj/k_proj
  produces rows of that same output, so it needs the same row permutation (k with the number
  of key/value heads). Skipping it loads fine and is off by several nats.
- llama.cpp scales an adapter by `adapter.lora.alpha / rank` only when the alpha key is present;
  we always write it, and fold any per-module differences (PEFT's rank_pattern, alpha_pattern,
  rsLoRA) into lora_B so every module keeps PEFT's exact scaling.
This module needs numpy and gguf only (no torch): adapters trained elsewhere convert anywhere.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import SupportsInt, cast

import numpy as np

from .errors import AdapterToolError
from .metadata import PROVENANCE_PREFIX, ProvenanceValue
from .peft_files import load_peft_pairs

# Architectures whose q/k weights llama.cpp's converter permutes for rotary embeddings.
ROPE_PERMUTED_ARCHS = frozenset({"llama"})


@dataclass(frozen=True)
class BaseModel:
    """What conversion needs to know about the base GGUF model."""

    path: str
    architecture: str
    n_layers: int
    n_head: int
    n_head_kv: int
    tensor_shapes: dict[str, tuple[int, ...]] = field(repr=False)  # ggml order: [n_in, n_out]


def read_base_model(path: str | Path) -> BaseModel:
    """Read the architecture, head counts and tensor shapes of a base GGUF model."""
    from engine.gguf import read_gguf_header

    path = str(path)
    if not os.path.isfile(path):
        raise AdapterToolError(f"The base model {path} does not exist (give the .gguf file).")
    try:
        fields, shapes = read_gguf_header(path)
    except (ValueError, OSError) as exc:  # struct.error is a ValueError
        raise AdapterToolError(f"{path} is not a readable GGUF model: {exc}") from exc
    arch = fields.get("general.architecture")
    if fields.get("general.type") == "adapter":
        raise AdapterToolError(f"{path} is an adapter, not a base model.")
    if not isinstance(arch, str) or not arch:
        raise AdapterToolError(f"{path} has no general.architecture; is it a GGUF model?")
    def count(key: str, default: int = 0) -> int:
        value = fields.get(f"{arch}.{key}")
        return int(cast(SupportsInt, value)) if value else default  # GGUF integer fields

    n_head = count("attention.head_count")
    n_head_kv = count("attention.head_count_kv", n_head)
    return BaseModel(path, arch, count("block_count"), n_head, n_head_kv,
                     {name: dims[:2] for name, dims in shapes.items()})


def permute_for_rope(rows: np.ndarray, n_head: int) -> np.ndarray:
    """Reorder output rows from Hugging Face's half-split rotary layout to llama.cpp's interleaved one.

    Within each head of size d, row `j * d/2 + i` (j = 0, 1) moves to row `2 * i + j`.
    """
    out = rows.shape[0]
    if n_head <= 0 or out % (2 * n_head):
        raise AdapterToolError(f"Cannot split {out} rows into {n_head} rotary heads.")
    half = out // n_head // 2
    return rows.reshape(n_head, 2, half, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


def gguf_tensor_name(module: str, base: BaseModel) -> str:
    """`model.layers.3.self_attn.q_proj` -> `blk.3.attn_q.weight` via gguf's TensorNameMap."""
    import gguf

    arch_ids = {name: arch for arch, name in gguf.MODEL_ARCH_NAMES.items()}
    if base.architecture not in arch_ids:
        raise AdapterToolError(f"gguf-py does not know the architecture {base.architecture!r}.")
    names = gguf.TensorNameMap(arch_ids[base.architecture], base.n_layers)
    mapped = names.get_name(module + ".weight", try_suffixes=(".weight",))
    if mapped is None:
        raise AdapterToolError(
            f"The adapter targets {module}, which has no GGUF name for {base.architecture}."
        )
    return mapped


def write_lora_gguf(out: str | Path, base: BaseModel, pairs: dict[str, tuple[np.ndarray, np.ndarray]],
                    alpha: float, provenance: dict[str, ProvenanceValue] | None = None,
                    permute_qk: bool = True) -> Path:
    """Write `pairs` (HF module name -> (lora_A [r, in], lora_B [out, r])) as a GGUF LoRA.

    The effective scale of each module in llama.cpp is `alpha / r` times the user's scale, so
    `pairs` must already hold B scaled such that PEFT's scaling equals alpha / r for every module.
    `permute_qk=False` exists only so tests can show that the permutation matters.
    """
    import gguf

    if not pairs:
        raise AdapterToolError("The adapter has no LoRA tensors to convert.")
    out = Path(out)
    tensors: list[tuple[str, np.ndarray]] = []
    for module in sorted(pairs, key=_natural_key):
        a, b = (np.ascontiguousarray(x, dtype=np.float32) for x in pairs[module])
        name = gguf_tensor_name(module, base)
        weight = base.tensor_shapes.get(name)
        if weight is None:
            raise AdapterToolError(
                f"The adapter targets {module} ({name}), which the base model {base.path} lacks."
            )
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise AdapterToolError(f"{module}: lora_A {a.shape} and lora_B {b.shape} do not pair up.")
        if a.shape[1] != weight[0] or b.shape[0] != weight[1]:
            raise AdapterToolError(
                f"{module}: the adapter maps {a.shape[1]} -> {b.shape[0]} but the base model's "
                f"{name} maps {weight[0]} -> {weight[1]} (trained on another base model?)."
            )
        if permute_qk and base.architecture in ROPE_PERMUTED_ARCHS:
            if name.endswith("attn_q.weight"):
                b = permute_for_rope(b, base.n_head)
            elif name.endswith("attn_k.weight"):
                b = permute_for_rope(b, base.n_head_kv)
        tensors.append((name + ".lora_a", a))
        tensors.append((name + ".lora_b", np.ascontiguousarray(b)))

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    writer = gguf.GGUFWriter(str(tmp), base.architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_name(out.stem)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    info: dict[str, ProvenanceValue] = {"created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    info.update(provenance or {})
    for key, value in info.items():
        _add_value(writer, PROVENANCE_PREFIX + key, value)
    for name, array in tensors:
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, out)
    return out


def _add_value(writer, key: str, value: ProvenanceValue) -> None:
    if isinstance(value, bool):
        writer.add_bool(key, value)
    elif isinstance(value, int):
        writer.add_int64(key, value)
    elif isinstance(value, float):
        writer.add_float32(key, value)
    else:
        writer.add_string(key, str(value))


def _natural_key(text: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def convert_peft(peft_dir: str | Path, base_gguf: str | Path, out: str | Path,
                 provenance: dict[str, ProvenanceValue] | None = None,
                 permute_qk: bool = True) -> Path:
    """Convert a PEFT LoRA folder to a GGUF LoRA for `base_gguf`, recording provenance."""
    from engine.fingerprint import file_sha256

    base = read_base_model(base_gguf)
    pairs, alpha, config = load_peft_pairs(peft_dir)
    targets = sorted({m.rsplit(".", 1)[-1] for m in pairs})
    info: dict[str, ProvenanceValue] = {}
    saved = Path(peft_dir) / "logitscope_provenance.json"  # written by adapters/train.py
    if saved.is_file():
        info.update(json.loads(saved.read_text()))
    info.update({
        "base_sha256": file_sha256(str(base_gguf)),
        "base_name": Path(base_gguf).name,
        "rank": int(config["r"]),
        "alpha": float(config.get("lora_alpha", config["r"])),
        "targets": ",".join(targets),
    })
    info.update(provenance or {})
    return write_lora_gguf(out, base, pairs, alpha, info, permute_qk=permute_qk)
