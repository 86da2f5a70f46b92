"""The library of saved system prompts: one JSON file of name -> text in the data dir.

Kept as plain functions over a path (passed in by the caller) so tests point it at a temp dir.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from engine.locations import data_dir

BUILTIN = {
    "assistant": "You are a helpful assistant.",
    "terse": "Answer in one short sentence.",
    "pirate": "You are a pirate. Answer every question in pirate speak.",
}


def presets_path() -> Path:
    return data_dir() / "system_presets.json"


def load_presets(path: Path | None = None) -> dict[str, str]:
    path = path or presets_path()
    presets = dict(BUILTIN)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return presets
    if isinstance(data, dict):
        presets.update({str(k): str(v) for k, v in data.items()})
    return presets


def save_preset(name: str, text: str, path: Path | None = None) -> dict[str, str]:
    """Add or replace one preset and return the whole library."""
    path = path or presets_path()
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(saved, dict):
            saved = {}
    except (OSError, ValueError):
        saved = {}
    saved[name] = text
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole beside the old file, then renamed over it: a crash or a full disk mid-write
    # leaves the previous library, never half of one (which would read back as no presets).
    fd, temp = tempfile.mkstemp(prefix=".system_presets-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(saved, indent=2, ensure_ascii=False))
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
    return load_presets(path)
