"""The Hugging Face hub cache: GGUF files that `huggingface-cli download` and llama.cpp put there.

Where: `HF_HUB_CACHE`, else the older `HUGGINGFACE_HUB_CACHE`, else `HF_HOME/hub`, else
`XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub` (huggingface_hub's
constants.py; the same order as llama.cpp's common/hf-cache.cpp, which stores `-hf` downloads
here). The same on every platform.

Layout: `models--ORG--REPO/snapshots/REVISION/FILE.gguf` (symlinks into `blobs/`, or copies where
symlinks are not allowed), `refs/main` holding the revision `main` points at. The files of that
revision are listed; another revision's files only where main has no file of that name. Named
`hf:ORG/REPO/FILE.gguf` (a file in a subfolder keeps it: `hf:ORG/REPO/Q4_K_M/FILE.gguf`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .found import StoreEntry
from .shards import group_shards
from .walk import gguf_files

STORE = "hf"
PREFIX = "hf:"
REPO_FOLDER = "models--"


def locations(env: Mapping[str, str], home: Path) -> list[Path]:
    for key, tail in (("HF_HUB_CACHE", ()), ("HUGGINGFACE_HUB_CACHE", ()), ("HF_HOME", ("hub",)),
                      ("XDG_CACHE_HOME", ("huggingface", "hub"))):
        if env.get(key):
            return [Path(env[key]).expanduser().joinpath(*tail)]
    return [home / ".cache" / "huggingface" / "hub"]


def repo_id(folder_name: str) -> str | None:
    """`org/repo` for `models--org--repo` (None for datasets--, spaces--, anything else)."""
    if not folder_name.startswith(REPO_FOLDER) or len(folder_name) == len(REPO_FOLDER):
        return None
    return folder_name[len(REPO_FOLDER):].replace("--", "/")


def _main_revision(repo: Path) -> str | None:
    try:
        revision = (repo / "refs" / "main").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return revision if revision and "/" not in revision and revision not in (".", "..") else None


def _snapshots(repo: Path) -> list[Path]:
    """main's snapshot first (if it is there), then the others, newest first."""
    try:
        others = [p for p in (repo / "snapshots").iterdir() if p.is_dir()]
    except OSError:
        return []
    main = _main_revision(repo)
    first = [p for p in others if p.name == main]

    def modified(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    rest = sorted((p for p in others if p.name != main), key=modified, reverse=True)
    return first + rest


def repo_entries(repo: Path, store: str, prefix: str) -> list[StoreEntry]:
    """One repository folder's GGUF models, named `prefix + org/repo/relative path`."""
    rid = repo_id(repo.name)
    if rid is None:
        return []
    taken: set[str] = set()
    entries: list[StoreEntry] = []
    for snapshot in _snapshots(repo):
        files = [f for f in gguf_files(snapshot) if f.relative_to(snapshot).as_posix() not in taken]
        taken.update(f.relative_to(snapshot).as_posix() for f in files)
        for group in group_shards(files):
            relative = group.first.relative_to(snapshot).as_posix()
            entries.append(StoreEntry(store, f"{prefix}{rid}/{relative}", str(group.first),
                                      tuple(map(str, group.parts)) if len(group.parts) > 1 else (),
                                      problem=group.missing))
    return entries


def cache_entries(root: Path, store: str = STORE, prefix: str = PREFIX) -> list[StoreEntry]:
    """Every repository's models in one cache folder, repositories by name."""
    try:
        repos = sorted((p for p in root.iterdir() if p.name.startswith(REPO_FOLDER) and p.is_dir()),
                       key=lambda p: p.name.lower())
    except OSError:
        return []
    return [entry for repo in repos for entry in repo_entries(repo, store, prefix)]


def locate(env: Mapping[str, str] | None = None, home: Path | None = None) -> list[StoreEntry]:
    env = os.environ if env is None else env
    return [e for root in locations(env, home or Path.home()) for e in cache_entries(root)]
