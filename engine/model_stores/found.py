"""What a store found: a file by name (`StoreEntry`), then what its GGUF header says (`FoundModel`).

Stores only walk folders and read their own indexes (Ollama's manifests, the HF cache's refs);
`describe` then reads each file's metadata with engine/gguf.py's struct reader (no arrays kept,
nothing loaded, ~0.1 s for a model with a large vocabulary). A file that is not readable GGUF is
still listed, with `error` saying why, so a damaged download shows instead of vanishing.

Adapters say which base they fit in three ways, all kept: `general.architecture` (llama.cpp
refuses an adapter of another architecture), the `general.base_model.0.*` keys that llama.cpp's
convert_lora_to_gguf.py writes from the adapter's model card (name, organization, repo_url), and
the `logitscope.base_name` / `logitscope.base_sha256` keys this project's adapters/convert.py
writes. Vision projectors (`general.type` mmproj, architecture clip) are not models llama.cpp
can load alone: `describe` returns None for them and they are not listed.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace

from ..gguf import has_gguf_magic, read_gguf_header
from .file_types import quantization_name

MODEL, ADAPTER = "model", "adapter"
KINDS = (MODEL, ADAPTER)
PROJECTOR_TYPES = frozenset({"mmproj"})
PROJECTOR_ARCHITECTURES = frozenset({"clip"})


@dataclass(frozen=True)
class StoreEntry:
    """A GGUF file a store names, before its header is read."""

    store: str
    name: str
    path: str  # the file llama.cpp is given (a split model's first part)
    parts: tuple[str, ...] = ()  # every file of a split model, first included; () = just `path`
    kind: str | None = None  # what the store itself says it is (Ollama's layer media type)
    pairs_with: tuple[str, ...] = ()  # names the store pairs it with (an Ollama model's adapters)
    problem: str | None = None  # the store's own problem with it (a blob or a part missing)


@dataclass(frozen=True)
class FoundModel:
    store: str  # hf | ollama | lmstudio | llamacpp | folder
    name: str  # what --model accepts: hf:ORG/REPO/FILE.gguf, ollama:NAME:TAG, ..., or the path
    path: str
    size: int  # bytes, every part of a split model together
    kind: str  # model | adapter
    architecture: str | None = None  # general.architecture
    quantization: str | None = None  # from general.file_type (file_types.FILE_TYPES)
    file_type: int | None = None  # general.file_type as stored
    context_length: int | None = None  # ARCH.context_length: the context it was trained for
    chat_template: bool = False  # tokenizer.chat_template present
    model_name: str | None = None  # general.name
    parts: int = 1  # files of a split model
    lora_alpha: float | None = None  # adapter.lora.alpha (adapters)
    base_name: str | None = None  # the base model it was made for (adapters)
    base_organization: str | None = None
    base_repo_url: str | None = None
    base_sha256: str | None = None  # the base GGUF's SHA-256 (adapters made by logitscope)
    pairs_with: tuple[str, ...] = ()
    error: str | None = None  # why the file cannot be used as listed; None = readable GGUF

    def to_json(self) -> dict:
        data = asdict(self)
        data["pairs_with"] = list(self.pairs_with)
        return data


def _text(fields: dict[str, object], key: str) -> str | None:
    value = fields.get(key)
    return value if isinstance(value, str) and value else None


def _integer(fields: dict[str, object], key: str) -> int | None:
    value = fields.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _size(paths: tuple[str, ...]) -> int:
    total = 0
    for path in paths:
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total


def describe(entry: StoreEntry) -> FoundModel | None:
    """The entry with its header's facts; None for a vision projector. Never raises for a bad file."""
    parts = entry.parts or (entry.path,)
    base = FoundModel(store=entry.store, name=entry.name, path=entry.path, size=_size(parts),
                      kind=entry.kind or MODEL, parts=len(parts), pairs_with=entry.pairs_with,
                      error=entry.problem)
    if not os.path.isfile(entry.path):
        return base if entry.problem else _replace_error(base, "file missing")
    try:
        if not has_gguf_magic(entry.path):
            return _replace_error(base, "not a GGUF file (no GGUF magic)")
        fields, _ = read_gguf_header(entry.path)
    except (OSError, ValueError) as exc:
        return _replace_error(base, f"unreadable GGUF header: {exc}")
    kind_type = _text(fields, "general.type")
    architecture = _text(fields, "general.architecture")
    if kind_type in PROJECTOR_TYPES or architecture in PROJECTOR_ARCHITECTURES:
        return None
    kind = ADAPTER if kind_type == ADAPTER else (entry.kind or MODEL)
    alpha = fields.get("adapter.lora.alpha")
    file_type = _integer(fields, "general.file_type")
    return FoundModel(
        store=entry.store, name=entry.name, path=entry.path, size=base.size, kind=kind,
        architecture=architecture, quantization=quantization_name(file_type), file_type=file_type,
        context_length=_integer(fields, f"{architecture}.context_length") if architecture else None,
        chat_template=bool(_text(fields, "tokenizer.chat_template")),
        model_name=_text(fields, "general.name"), parts=base.parts,
        lora_alpha=float(f"{alpha:.7g}") if isinstance(alpha, float | int) and kind == ADAPTER else None,
        base_name=(_text(fields, "general.base_model.0.name") or _text(fields, "logitscope.base_name"))
        if kind == ADAPTER else None,
        base_organization=_text(fields, "general.base_model.0.organization") if kind == ADAPTER else None,
        base_repo_url=_text(fields, "general.base_model.0.repo_url") if kind == ADAPTER else None,
        base_sha256=_text(fields, "logitscope.base_sha256") if kind == ADAPTER else None,
        pairs_with=entry.pairs_with, error=entry.problem,
    )


def _replace_error(model: FoundModel, error: str) -> FoundModel:
    return replace(model, error=f"{model.error}; {error}" if model.error else error)
