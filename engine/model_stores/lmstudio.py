"""LM Studio's models folder: `PUBLISHER/REPO/FILE.gguf`, as its downloader lays them out.

Where: LM Studio's home is the folder named in `~/.lmstudio-home-pointer` (LM Studio writes it;
the `lms` CLI and lmstudio-js read it), else `~/.lmstudio`; its models are `HOME/models`, also
`~/.lmstudio/models` (newer releases) and `~/.cache/lm-studio/models` (older ones), and the
`downloadsFolder` of `HOME/settings.json` when the user moved them. The same on every platform
(the home is under the user's home folder). Named `lmstudio:PUBLISHER/REPO/FILE.gguf`: the path
below the models folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from .found import StoreEntry
from .shards import group_shards
from .walk import gguf_files

STORE = "lmstudio"
PREFIX = "lmstudio:"
HOME_POINTER = ".lmstudio-home-pointer"


def _home(home: Path) -> Path:
    try:
        lines = (home / HOME_POINTER).read_text(encoding="utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    if lines and lines[0].strip() and Path(lines[0].strip()).expanduser().is_dir():
        return Path(lines[0].strip()).expanduser()
    return home / ".lmstudio"


def _downloads_folder(settings: Path) -> Path | None:
    try:
        folder = json.loads(settings.read_text(encoding="utf-8")).get("downloadsFolder")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(folder).expanduser() if isinstance(folder, str) and folder else None


def locations(env: Mapping[str, str], home: Path) -> list[Path]:
    lm_home = _home(home)
    candidates = [_downloads_folder(lm_home / "settings.json"), lm_home / "models",
                  home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]
    roots: list[Path] = []
    for path in candidates:
        if path is not None and path not in roots:
            roots.append(path)
    return roots


def folder_entries(root: Path) -> list[StoreEntry]:
    entries = []
    for group in group_shards(gguf_files(root)):
        relative = group.first.relative_to(root).as_posix()
        entries.append(StoreEntry(STORE, PREFIX + relative, str(group.first),
                                  tuple(map(str, group.parts)) if len(group.parts) > 1 else (),
                                  problem=group.missing))
    return entries


def locate(env: Mapping[str, str] | None = None, home: Path | None = None) -> list[StoreEntry]:
    env = os.environ if env is None else env
    entries: list[StoreEntry] = []
    for root in locations(env, home or Path.home()):
        taken = {e.name for e in entries}  # the same folder reached twice (a symlinked home)
        entries += [e for e in folder_entries(root) if e.name not in taken]
    return entries
