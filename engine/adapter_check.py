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
from .gguf_header import check_gguf_file


def _field_str(reader, key: str) -> str | None:
    field = reader.fields.get(key)
    if field is None:
        return None
    try:
        return bytes(field.parts[field.data[0]]).decode("utf-8", errors="replace")
    except (IndexError, TypeError):
        return None


# GGUF value types: struct format of the scalars; 8 = string, 9 = array.
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def read_gguf_header(path: str) -> tuple[dict[str, object], dict[str, tuple[int, ...]]]:
    """(scalar and string metadata, tensor shapes in ggml order) of a GGUF v2/v3 file.

    gguf-py's GGUFReader builds an object per vocabulary entry and takes seconds on a model with
    a large vocabulary (4.5 s for the default model on an idle core), which made the first use
    of any adapter stall; this walks the header with struct, skipping arrays (~0.1 s).
    Raises ValueError (or OSError) on anything it cannot read.
    """
    import struct

    try:
        return _walk_header(path)
    except struct.error as exc:
        raise ValueError(f"truncated or damaged GGUF header: {exc}") from exc


def _walk_header(path: str) -> tuple[dict[str, object], dict[str, tuple[int, ...]]]:
    import mmap
    import struct

    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        magic, version, n_tensors, n_kv = struct.unpack_from("<4sIQQ", buf, 0)
        if magic != b"GGUF" or version not in (2, 3):
            raise ValueError(f"not a GGUF v2/v3 file (magic {magic!r}, version {version})")
        pos = 24

        def string() -> str:
            nonlocal pos
            (n,) = struct.unpack_from("<Q", buf, pos)
            text = buf[pos + 8:pos + 8 + n].decode("utf-8", errors="replace")
            pos += 8 + n
            return text

        def skip(kind: int) -> None:
            nonlocal pos
            if kind == 8:
                (n,) = struct.unpack_from("<Q", buf, pos)
                pos += 8 + n
            elif kind == 9:
                item, count = struct.unpack_from("<IQ", buf, pos)
                pos += 12
                if item in _SCALARS:
                    pos += count * struct.calcsize("<" + _SCALARS[item])
                else:
                    for _ in range(count):
                        skip(item)
            elif kind in _SCALARS:
                pos += struct.calcsize("<" + _SCALARS[kind])
            else:
                raise ValueError(f"unknown GGUF value type {kind}")

        fields: dict[str, object] = {}
        for _ in range(n_kv):
            key = string()
            (kind,) = struct.unpack_from("<I", buf, pos)
            pos += 4
            if kind == 8:
                fields[key] = string()
            elif kind in _SCALARS:
                (fields[key],) = struct.unpack_from("<" + _SCALARS[kind], buf, pos)
                skip(kind)
            else:
                skip(kind)
        shapes: dict[str, tuple[int, ...]] = {}
        for _ in range(n_tensors):
            name = string()
            (n_dims,) = struct.unpack_from("<I", buf, pos)
            shapes[name] = tuple(struct.unpack_from(f"<{n_dims}Q", buf, pos + 4))
            pos += 4 + 8 * n_dims + 12  # dims, then ggml type (u32) and data offset (u64)
    return fields, shapes


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
