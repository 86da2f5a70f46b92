"""Read what an adapter GGUF is: its provenance and a summary of its LoRA tensors.

Backs `logitscope adapter inspect` and `adapter list`; walks the GGUF header only (the engine's
struct reader), so it works without the train extra and never touches llama.cpp.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

from engine.gguf import check_gguf_file, read_gguf_header

from .errors import AdapterToolError
from .metadata import PROVENANCE_ORDER, PROVENANCE_PREFIX, ProvenanceValue


@dataclass(frozen=True)
class LoraTensor:
    name: str  # the model tensor it modifies, e.g. blk.0.attn_q.weight
    n_in: int
    n_out: int
    rank: int


@dataclass(frozen=True)
class AdapterInfo:
    path: str
    size_bytes: int
    architecture: str
    adapter_type: str
    alpha: float | None
    provenance: dict[str, ProvenanceValue]
    tensors: tuple[LoraTensor, ...]

    @property
    def ranks(self) -> tuple[int, ...]:
        return tuple(sorted({t.rank for t in self.tensors}))

    @property
    def n_params(self) -> int:
        return sum(t.rank * (t.n_in + t.n_out) for t in self.tensors)

    @property
    def layers(self) -> int:
        return len({t.name.split(".")[1] for t in self.tensors if t.name.startswith("blk.")})

    @property
    def kinds(self) -> tuple[str, ...]:
        """Which weights it touches, e.g. ('attn_k', 'attn_q', 'ffn_up')."""
        return tuple(sorted({t.name.split(".")[-2] for t in self.tensors}))

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(ranks=list(self.ranks), n_params=self.n_params, layers=self.layers,
                    kinds=list(self.kinds))
        return data


def _tidy(value: object) -> object:
    return float(f"{value:.7g}") if isinstance(value, float) else value  # float32 noise off


def inspect_adapter(path: str | Path) -> AdapterInfo:
    """Read an adapter GGUF; AdapterToolError if it is not a GGUF LoRA adapter."""
    path = str(path)
    check_gguf_file(path, AdapterToolError, what="adapter")
    try:
        fields, dims = read_gguf_header(path)
    except (ValueError, OSError) as exc:  # struct.error is a ValueError
        raise AdapterToolError(f"{path} is not a readable GGUF file: {exc}") from exc
    fields = {k: _tidy(v) for k, v in fields.items()}
    if fields.get("general.type") != "adapter":
        raise AdapterToolError(
            f"{path} is a GGUF file but not an adapter (general.type is "
            f"{fields.get('general.type')!r}); it may be a model."
        )
    raw = {k[len(PROVENANCE_PREFIX):]: v for k, v in fields.items() if k.startswith(PROVENANCE_PREFIX)}
    ordered = {k: raw[k] for k in PROVENANCE_ORDER if k in raw}
    ordered.update({k: raw[k] for k in sorted(raw) if k not in ordered})
    shapes: dict[str, dict[str, tuple[int, ...]]] = {}
    for name, shape in dims.items():
        base, _, part = name.rpartition(".")
        if part in ("lora_a", "lora_b"):
            shapes.setdefault(base, {})[part] = shape
    tensors = tuple(
        LoraTensor(name, parts["lora_a"][0], parts["lora_b"][1], parts["lora_a"][1])
        for name, parts in shapes.items() if len(parts) == 2
    )
    alpha = fields.get("adapter.lora.alpha")
    return AdapterInfo(
        path=path,
        size_bytes=os.path.getsize(path),
        architecture=str(fields.get("general.architecture", "")),
        adapter_type=str(fields.get("adapter.type", "")),
        alpha=float(cast(float, alpha)) if alpha is not None else None,
        provenance=cast(dict[str, ProvenanceValue], ordered),  # GGUF scalars, as written
        tensors=tensors,
    )

