"""llama.cpp's own cache: what `llama-cli -hf` / `llama-server -hf` downloaded.

Where: `LLAMA_CACHE`, else the platform's cache folder + `llama.cpp`: `XDG_CACHE_HOME` or
`~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows (llama.cpp's
common/common.cpp `fs_get_cache_directory`). Older llama.cpp saved downloads there as flat files
(`ORG_REPO_FILE.gguf`, with `.json` sidecars): named `llamacpp:FILE.gguf`. Newer llama.cpp
(common/hf-cache.cpp) stores them in the Hugging Face cache layout instead, in `LLAMA_CACHE`
when that is set (else in the HF cache itself, which the hf store lists): repositories found
here are named `llamacpp:ORG/REPO/FILE.gguf`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from . import hf_cache
from .found import StoreEntry
from .shards import group_shards

STORE = "llamacpp"
PREFIX = "llamacpp:"


def locations(env: Mapping[str, str], home: Path) -> list[Path]:
    if env.get("LLAMA_CACHE"):
        return [Path(env["LLAMA_CACHE"]).expanduser()]
    if sys.platform == "win32" and env.get("LOCALAPPDATA"):
        return [Path(env["LOCALAPPDATA"]) / "llama.cpp"]
    if sys.platform == "darwin":
        return [home / "Library" / "Caches" / "llama.cpp"]
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else home / ".cache"
    return [base / "llama.cpp"]


def folder_entries(root: Path) -> list[StoreEntry]:
    try:
        flat = sorted(p for p in root.iterdir() if p.name.lower().endswith(".gguf") and p.is_file())
    except OSError:
        flat = []
    entries = [StoreEntry(STORE, PREFIX + group.first.name, str(group.first),
                          tuple(map(str, group.parts)) if len(group.parts) > 1 else (), problem=group.missing)
               for group in group_shards(flat)]
    return entries + hf_cache.cache_entries(root, STORE, PREFIX)


def locate(env: Mapping[str, str] | None = None, home: Path | None = None) -> list[StoreEntry]:
    env = os.environ if env is None else env
    return [e for root in locations(env, home or Path.home()) for e in folder_entries(root)]
