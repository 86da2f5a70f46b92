"""The CLI's one JSON codec: every `--json` output goes through here. Field names are public.

Conventions, the same for every command (README, "JSON conventions"): engine dataclasses become
objects, tuples arrays, enums their value, bytes lowercase hex, token steps the per-token record
of `ask --json` (`step_record`: the raw `top`, and the sampler chain's `post` beside it), and
non-finite numbers `null`, so the output is standard JSON that any parser reads. (The session
journal on disk has its own, versioned encoding: sessions/codec.py and docs/session-format.md.)
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.types import Provenance, TokenStep


def to_jsonable(value: Any) -> Any:
    """Engine and session values as plain, standard JSON values."""
    if isinstance(value, TokenStep):
        return step_record(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [to_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def step_record(step: TokenStep) -> dict[str, Any]:
    return to_jsonable({
        "i": step.i,
        "id": step.id,
        "text": step.text,
        "bytes": step.piece.hex(),
        "logprob": step.logprob,
        "prob": step.prob,
        "entropy": step.entropy,
        "rank": step.rank,
        "top": [{"id": a.id, "text": a.text, "logprob": a.logprob} for a in step.top],
        "distribution": step.distribution,
        **({"forced": True} if step.forced else {}),
        **(sampler_record(step) if step.sampler is not None else {}),
    })


def sampler_record(step: TokenStep) -> dict[str, Any]:
    """`post` (what llama.cpp's sampler chain left, most likely first) and `sampler`; only on
    steps a chain drew (not on forced ones, nor on those journaled before the field)."""
    view = step.sampler
    assert view is not None
    return {
        "post": [{"id": t.id, "text": t.text, "prob": t.prob} for t in step.post],
        "sampler": {"greedy": view.greedy, "kept": view.kept, "kept_raw_mass": view.kept_raw_mass,
                    "removed": [{"id": t, "stage": stage} for t, stage in view.removed]},
    }


def provenance_record(provenance: Provenance) -> dict[str, Any]:
    return to_jsonable(provenance)


def emit(record: Any) -> None:
    """One JSON Lines record (streamed outputs: `ask`, `score`, `choose`)."""
    sys.stdout.write(json.dumps(to_jsonable(record), ensure_ascii=False, allow_nan=False) + "\n")
    sys.stdout.flush()


def print_json(data: Any) -> None:
    """One indented JSON document (`session`, `adapter`, `doctor` outputs)."""
    json.dump(to_jsonable(data), sys.stdout, ensure_ascii=False, indent=1, allow_nan=False)
    sys.stdout.write("\n")
