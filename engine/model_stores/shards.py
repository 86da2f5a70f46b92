"""One model split over several files (`NAME-00001-of-00003.gguf`) is listed once.

llama.cpp names the parts of a split model `%s-%05d-of-%05d.gguf` (llama_split_path) and loads
the whole set from the first; Ollama's importer matches the same pattern
(ollama/ollama server/create_split_gguf.go, splitGGUFNameRe). `group_shards` turns a folder's
file list into one entry per model: a plain file alone, a split model as its first part plus the
others, and says when parts are missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SPLIT_NAME = re.compile(r"^(?P<prefix>.*)-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


@dataclass(frozen=True)
class FileGroup:
    """One model's files: `first` is what llama.cpp is given; `parts` every file, first included."""

    first: Path
    parts: tuple[Path, ...]
    missing: str | None = None  # e.g. "parts 2 of 3 missing", when the set is incomplete


def group_shards(paths: list[Path]) -> list[FileGroup]:
    """Plain files stay as they are; split parts are grouped per (folder, prefix, count), each
    group where its first-seen part was."""
    order: list[Path | tuple[Path, str, int]] = []
    splits: dict[tuple[Path, str, int], dict[int, Path]] = {}
    for path in paths:
        match = SPLIT_NAME.match(path.name)
        if match is None or int(match["count"]) < 1 or int(match["index"]) < 1:
            order.append(path)
            continue
        key = (path.parent, match["prefix"], int(match["count"]))
        if key not in splits:
            splits[key] = {}
            order.append(key)
        splits[key][int(match["index"])] = path
    groups: list[FileGroup] = []
    for item in order:
        if isinstance(item, Path):
            groups.append(FileGroup(item, (item,)))
            continue
        found, count = splits[item], item[2]
        absent = [str(n) for n in range(1, count + 1) if n not in found]
        missing = f"part{'s' if len(absent) > 1 else ''} {', '.join(absent)} of {count} missing" if absent else None
        parts = tuple(found[n] for n in sorted(found))
        groups.append(FileGroup(found.get(1, parts[0]), parts, missing))
    return groups
