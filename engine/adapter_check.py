"""Check a GGUF LoRA adapter against a base model before llama.cpp ever sees it.

llama.cpp either rejects a mismatched adapter with a NULL (its reason only in its log) or, for
some mistakes, aborts the process. Reading both files' headers with gguf-py lets us name the
first problem precisely: not an adapter, another architecture, a tensor the model lacks, or a
shape that does not fit (usually: trained on another base model).
"""

from __future__ import annotations

import functools
import os

from .errors import AdapterError
from .gguf import check_gguf_file, read_gguf_header


def _field_str(reader, key: str) -> str | None:
    field = reader.fields.get(key)
    if field is None:
        return None
    try:
        return bytes(field.parts[field.data[0]]).decode("utf-8", errors="replace")
    except (IndexError, TypeError):
        return None


@functools.lru_cache(maxsize=8)
def _model_tensors(model_path: str, _mtime: float) -> tuple[str | None, dict[str, tuple[int, ...]]]:
    try:
        fields, shapes = read_gguf_header(model_path)
        arch = fields.get("general.architecture")
        return (arch if isinstance(arch, str) else None), shapes
    except (ValueError, OSError, IndexError) as exc:  # struct.error is a ValueError
        from gguf import GGUFReader

        try:
            reader = GGUFReader(model_path)
        except Exception:
            raise AdapterError(f"Could not read the model's GGUF header: {exc}") from exc
        shapes = {t.name: tuple(int(d) for d in t.shape) for t in reader.tensors}
        return _field_str(reader, "general.architecture"), shapes


def check_adapter(adapter_path: str, model_path: str) -> None:
    """Raise AdapterError naming the first reason `adapter_path` cannot apply to the model."""
    from gguf import GGUFReader

    check_gguf_file(adapter_path, AdapterError, what="adapter")
    try:
        reader = GGUFReader(adapter_path)
    except Exception as exc:  # gguf-py raises ValueError/struct errors on damaged files
        raise AdapterError(f"{adapter_path} is not a readable GGUF adapter: {exc}") from exc
    kind = _field_str(reader, "general.type")
    if kind != "adapter":
        raise AdapterError(
            f"{adapter_path} is a GGUF file but not an adapter (general.type is {kind!r}, "
            "expected 'adapter'). Convert a PEFT adapter with `logitscope adapter convert`."
        )
    adapter_type = _field_str(reader, "adapter.type")
    if adapter_type not in (None, "lora"):
        raise AdapterError(f"{adapter_path} is a {adapter_type!r} adapter; only LoRA is supported.")
    model_arch, model_shapes = _model_tensors(model_path, os.path.getmtime(model_path))
    arch = _field_str(reader, "general.architecture")
    if arch != model_arch:
        raise AdapterError(
            f"{adapter_path} was made for architecture {arch!r} but the model is {model_arch!r}."
        )
    pairs: dict[str, dict[str, tuple[int, ...]]] = {}
    for tensor in reader.tensors:
        for suffix in (".lora_a", ".lora_b"):
            if tensor.name.endswith(suffix):
                base = tensor.name[: -len(suffix)]
                pairs.setdefault(base, {})[suffix] = tuple(int(d) for d in tensor.shape)
    if not pairs:
        raise AdapterError(f"{adapter_path} holds no LoRA tensors (*.lora_a / *.lora_b).")
    for base, parts in sorted(pairs.items()):
        if len(parts) != 2:
            raise AdapterError(f"{adapter_path}: tensor {base} has only one of lora_a / lora_b.")
        if base not in model_shapes:
            raise AdapterError(
                f"{adapter_path}: tensor {base} does not exist in the model "
                "(was the adapter trained on another base model?)."
            )
        a, b = parts[".lora_a"], parts[".lora_b"]
        weight = model_shapes[base]
        # ggml order: weight ne = [n_in, n_out]; lora_a ne = [n_in, r]; lora_b ne = [r, n_out].
        if len(a) < 2 or len(b) < 2 or a[0] != weight[0] or b[1] != weight[1]:
            raise AdapterError(
                f"{adapter_path}: tensor {base} has shape lora_a={list(a)} lora_b={list(b)}, which "
                f"does not fit the model's weight {list(weight)} (wrong base model?)."
            )
        if a[1] != b[0]:
            raise AdapterError(
                f"{adapter_path}: tensor {base} has rank {a[1]} in lora_a but {b[0]} in lora_b."
            )
