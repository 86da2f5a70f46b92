"""SHA-256 of model and adapter files, cached by (path, size, mtime) so reloads stay instant."""

from __future__ import annotations

import hashlib
import json
import os

from .locations import data_dir

_CACHE_NAME = "sha256-cache.json"


def file_sha256(path: str) -> str:
    stat = os.stat(path)
    key = f"{os.path.realpath(path)}|{stat.st_size}|{stat.st_mtime_ns}"
    cache_file = data_dir() / _CACHE_NAME
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    if key in cache:
        return cache[key]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    cache[key] = digest.hexdigest()
    tmp = cache_file.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(cache))
        os.replace(tmp, cache_file)
    except OSError:
        pass
    return cache[key]
