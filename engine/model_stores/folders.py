"""Folders the user names (the TUI config's `[models] folders`, `--models-dir`): any *.gguf below.

Named by their path, so `--model` takes them as it always took a path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .found import StoreEntry
from .shards import group_shards
from .walk import gguf_files

STORE = "folder"


def locations(folders: Sequence[str]) -> list[Path]:
    roots: list[Path] = []
    for folder in folders:
        path = Path(folder).expanduser()
        if path not in roots:
            roots.append(path)
    return roots


def locate(folders: Sequence[str]) -> list[StoreEntry]:
    entries: list[StoreEntry] = []
    for root in locations(folders):
        for group in group_shards(gguf_files(root)):
            entries.append(StoreEntry(STORE, str(group.first), str(group.first),
                                      tuple(map(str, group.parts)) if len(group.parts) > 1 else (),
                                      problem=group.missing))
    return entries
