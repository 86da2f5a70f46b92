"""Reading GGUF headers without llama.cpp: the one place that knows the file format's layout.

Two uses, both in the caller's process and before llama.cpp sees a file. `check_gguf_file` is a
fast sanity check (llama.cpp answers a non-GGUF or truncated file with NULL at best, or aborts):
the magic, the version, a plausible size, each with a message the user can act on.
`read_gguf_header` walks the metadata and tensor table with struct for the adapter checks and
tools: gguf-py's GGUFReader builds an object per vocabulary entry and takes seconds on a model
with a large vocabulary (4.5 s for the default model on an idle core); this takes ~0.1 s.
`vocabulary_digest` hashes the tokenizer's arrays as stored, so two models can be checked for
one vocabulary (a comparison across models measures divergence over it) without loading either;
`read_gguf_arrays` decodes the arrays a caller names (a model's token strings and types).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from collections.abc import Callable, Collection
from typing import Any

GGUF_MAGIC = b"GGUF"
_HEADER = struct.Struct("<4sIQQ")  # magic, version, tensor count, metadata key count
# GGUF value types: struct format of the scalars; 8 = string, 9 = array.
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def has_gguf_magic(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts like a GGUF file (OSError if it cannot be read)."""
    with open(path, "rb") as handle:
        return handle.read(len(GGUF_MAGIC)) == GGUF_MAGIC


def check_gguf_file(path: str, error: type[Exception], what: str = "model") -> None:
    """Raise `error` with a precise message unless `path` looks like a complete GGUF file."""
    if not os.path.exists(path):
        raise error(f"The {what} file {path} does not exist.")
    if os.path.isdir(path):
        raise error(f"The {what} path {path} is a folder; give a .gguf file.")
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        header = handle.read(_HEADER.size)
    if header[:4] != GGUF_MAGIC:
        raise error(
            f"{path} is not a GGUF file (it starts with {header[:4]!r}, not b'GGUF'). "
            f"logitscope runs GGUF {what}s through llama.cpp."
        )
    if len(header) < _HEADER.size:
        raise error(f"{path} is truncated: {size} bytes, shorter than a GGUF header.")
    _, version, n_tensors, _n_kv = _HEADER.unpack(header)
    if version not in (1, 2, 3):
        raise error(f"{path} has GGUF version {version}, which this llama.cpp does not read.")
    if n_tensors > 0 and size < 1024:
        raise error(f"{path} claims {n_tensors} tensors but is only {size} bytes: truncated.")


def read_gguf_header(path: str) -> tuple[dict[str, object], dict[str, tuple[int, ...]]]:
    """(scalar and string metadata, tensor shapes in ggml order) of a GGUF v2/v3 file.

    Arrays are skipped. Raises ValueError (or OSError) on anything it cannot read.
    """
    try:
        return _walk_header(path)
    except struct.error as exc:
        raise ValueError(f"truncated or damaged GGUF header: {exc}") from exc


def read_gguf_arrays(path: str, keys: Collection[str]
                     ) -> tuple[dict[str, object], dict[str, list[Any]]]:
    """(scalar and string metadata, the arrays named in `keys` that the file has, decoded: strings
    as str, numbers as int or float). Raises ValueError (or OSError) on anything it cannot read."""
    fields, raw = _stored_values(path, keys)
    try:
        return fields, {key: _decode_array(key, value) for key, value in raw.items()}
    except struct.error as exc:
        raise ValueError(f"damaged GGUF array: {exc}") from exc


def _stored_values(path: str, keys: Collection[str]) -> tuple[dict[str, object], dict[str, bytes]]:
    """The metadata, and the values named in `keys` as stored (their type, then their bytes)."""
    raw: dict[str, bytes] = {}

    def keep(key: str, value: bytes) -> None:
        if key in keys:
            raw[key] = value

    try:
        fields, _ = _walk_header(path, keep)
    except struct.error as exc:
        raise ValueError(f"truncated or damaged GGUF header: {exc}") from exc
    return fields, raw


def _decode_array(key: str, raw: bytes) -> list[Any]:
    """An array value as `_walk_header` hands it over: its type, item type, count, then the items."""
    kind, item, count = struct.unpack_from("<IIQ", raw, 0)
    if kind != 9:
        raise ValueError(f"{key} is not an array")
    if item in _SCALARS:
        return list(struct.unpack_from(f"<{count}{_SCALARS[item]}", raw, 16))
    if item != 8:
        raise ValueError(f"{key} is an array of GGUF type {item}, which is not decoded")
    pos, out = 16, []
    for _ in range(count):
        (n,) = struct.unpack_from("<Q", raw, pos)
        out.append(raw[pos + 8:pos + 8 + n].decode("utf-8", errors="replace"))
        pos += 8 + n
    return out


_VOCABULARY_KEYS = ("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                    "tokenizer.ggml.token_type", "tokenizer.ggml.merges")


def vocabulary_digest(path: str) -> str:
    """A SHA-256 over the tokenizer's metadata as stored (model, pre-tokenizer, tokens, token
    types, merges): equal digests mean the two files tokenize alike and number tokens alike.
    Raises ValueError (or OSError) on a file it cannot read."""
    digest = hashlib.sha256()
    _, spans = _stored_values(path, _VOCABULARY_KEYS)
    if "tokenizer.ggml.tokens" not in spans:
        raise ValueError(f"{path} has no tokenizer.ggml.tokens: not a model with a vocabulary")
    for key in _VOCABULARY_KEYS:
        digest.update(key.encode() + b"\0" + spans.get(key, b""))
    return digest.hexdigest()


def _walk_header(path: str, on_value: Callable[[str, bytes], None] | None = None
                 ) -> tuple[dict[str, object], dict[str, tuple[int, ...]]]:
    """The metadata and tensor shapes; `on_value(key, raw bytes)` sees every value as stored."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        magic, version, n_tensors, n_kv = _HEADER.unpack_from(buf, 0)
        if magic != GGUF_MAGIC or version not in (2, 3):
            raise ValueError(f"not a GGUF v2/v3 file (magic {magic!r}, version {version})")
        pos = _HEADER.size

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
            start = pos
            if kind == 8:
                fields[key] = string()
            elif kind in _SCALARS:
                (fields[key],) = struct.unpack_from("<" + _SCALARS[kind], buf, pos)
                skip(kind)
            else:
                skip(kind)
            if on_value is not None:
                on_value(key, bytes(buf[start - 4:pos]))  # the type, then the value
        shapes: dict[str, tuple[int, ...]] = {}
        for _ in range(n_tensors):
            name = string()
            (n_dims,) = struct.unpack_from("<I", buf, pos)
            shapes[name] = tuple(struct.unpack_from(f"<{n_dims}Q", buf, pos + 4))
            pos += 4 + 8 * n_dims + 12  # dims, then ggml type (u32) and data offset (u64)
    return fields, shapes
