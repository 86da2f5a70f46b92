"""JSON shapes of the CLI's machine-readable output. Field names are public interface."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

from engine.types import Provenance, TokenStep


def to_jsonable(value: Any) -> Any:
    """Engine dataclasses, enums, bytes and tuples as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "value") and value.__class__.__module__.startswith("engine"):
        return value.value  # enums
    return value


def step_record(step: TokenStep) -> dict[str, Any]:
    return {
        "i": step.i,
        "id": step.id,
        "text": step.text,
        "bytes": step.piece.hex(),
        "logprob": step.logprob,
        "prob": step.prob,
        "entropy": step.entropy,
        "rank": step.rank,
        "top": [{"id": a.id, "text": a.text, "logprob": a.logprob} for a in step.top],
        **({"forced": True} if step.forced else {}),
    }


def provenance_record(provenance: Provenance) -> dict[str, Any]:
    return to_jsonable(provenance)


def emit(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()
