"""The one SHA-256 of a file: models, adapters and datasets are recorded by content.

Digests are cached in the data dir by (path, size, mtime, inode, ctime), so reloading a multi-GB
model stays instant while a file replaced by another of the same size and mtime (a re-trained
adapter, a re-download) is hashed again. The cache is rewritten through a temporary file with a
name of its own, so processes hashing at the same time never write into each other's.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .locations import data_dir

_CACHE_NAME = "sha256-cache.json"
_BLOCK = 1 << 20


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of the file at `path`; OSError if it cannot be read."""
    stat = os.stat(path)
    key = (f"{os.path.realpath(path)}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ino}"
           f"|{stat.st_ctime_ns}")
    cache_file = data_dir() / _CACHE_NAME
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    if not isinstance(cache, dict):
        cache = {}
    if key in cache:
        return cache[key]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    cache[key] = digest.hexdigest()
    _write_atomically(cache_file, json.dumps(cache))
    return cache[key]


def _write_atomically(target: Path, text: str) -> None:
    """Replace `target` with `text`, or leave it as it was (a cache: failing to write is fine)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
