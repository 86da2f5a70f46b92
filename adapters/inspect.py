"""Read what an adapter GGUF is: its provenance and a summary of its LoRA tensors.

Backs `logitscope adapter inspect` and `adapter list`; reads headers with gguf-py only, so it
works without the train extra and never touches llama.cpp.
"""

from __future__ import annotations

import os
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

from engine.gguf_header import check_gguf_file

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


def _value(field):
    if not field.data:
        return None
    values = [field.parts[i] for i in field.data]
    kind = field.types[0].name if field.types else ""
    if kind == "STRING":
        return bytes(values[0]).decode("utf-8", errors="replace")
    if kind == "ARRAY":
        return f"<array of {len(values)}>"
    scalar = values[0].tolist()[0]
    return float(f"{scalar:.7g}") if isinstance(scalar, float) else scalar  # float32 noise off


def inspect_adapter(path: str | Path) -> AdapterInfo:
    """Read an adapter GGUF; AdapterToolError if it is not a GGUF LoRA adapter."""
    from gguf import GGUFReader

    path = str(path)
    check_gguf_file(path, AdapterToolError, what="adapter")
    try:
        reader = GGUFReader(path)
    except Exception as exc:  # gguf-py: ValueError / struct.error on damaged files
        raise AdapterToolError(f"{path} is not a readable GGUF file: {exc}") from exc
    fields = {name: _value(f) for name, f in reader.fields.items()}
    if fields.get("general.type") != "adapter":
        raise AdapterToolError(
            f"{path} is a GGUF file but not an adapter (general.type is "
            f"{fields.get('general.type')!r}); it may be a model."
        )
    raw = {k[len(PROVENANCE_PREFIX):]: v for k, v in fields.items() if k.startswith(PROVENANCE_PREFIX)}
    ordered = {k: raw[k] for k in PROVENANCE_ORDER if k in raw}
    ordered.update({k: raw[k] for k in sorted(raw) if k not in ordered})
    shapes: dict[str, dict[str, tuple[int, ...]]] = {}
    for tensor in reader.tensors:
        base, _, part = tensor.name.rpartition(".")
        if part in ("lora_a", "lora_b"):
            shapes.setdefault(base, {})[part] = tuple(int(d) for d in tensor.shape)
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
        alpha=float(alpha) if alpha is not None else None,
        provenance=ordered,
        tensors=tensors,
    )


# GGUF scalar value types -> struct format (8 = string, 9 = array are handled apart).
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def peek_general_type(path: str | Path, max_keys: int = 32) -> str | None:
    """`general.type` from the first keys of a GGUF header, without parsing the vocabulary.

    Listing a folder of multi-GB models must not read each one's whole header (gguf-py takes
    seconds on a large vocabulary). Returns None when the key is not found early or the file is
    not GGUF.
    """
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"GGUF":
                return None
            _version, _n_tensors, n_kv = struct.unpack("<IQQ", f.read(20))

            def string() -> str:
                (n,) = struct.unpack("<Q", f.read(8))
                if n > 1 << 20:
                    raise ValueError("implausible string")
                return f.read(n).decode("utf-8", errors="replace")

            for _ in range(min(n_kv, max_keys)):
                key = string()
                (kind,) = struct.unpack("<I", f.read(4))
                if kind == 8:
                    value = string()
                    if key == "general.type":
                        return value
                elif kind in _SCALARS:
                    f.read(struct.calcsize("<" + _SCALARS[kind]))
                else:
                    return None  # an array: stop rather than walk it
    except (OSError, ValueError, struct.error):
        return None
    return None
