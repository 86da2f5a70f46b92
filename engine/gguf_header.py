"""A fast sanity check of a file's GGUF header, done in the caller's process before the worker.

llama.cpp handles a non-GGUF or truncated file by returning NULL at best; checking the magic,
version and that the file is not empty gives the user a precise message immediately.
"""

from __future__ import annotations

import os
import struct

from .errors import EngineError

GGUF_MAGIC = b"GGUF"


def check_gguf_file(path: str, error: type[EngineError], what: str = "model") -> None:
    if not os.path.exists(path):
        raise error(f"The {what} file {path} does not exist.")
    if os.path.isdir(path):
        raise error(f"The {what} path {path} is a folder; give a .gguf file.")
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        header = handle.read(24)
    if header[:4] != GGUF_MAGIC:
        raise error(
            f"{path} is not a GGUF file (it starts with {header[:4]!r}, not b'GGUF'). "
            f"logitscope runs GGUF {what}s through llama.cpp."
        )
    if len(header) < 24:
        raise error(f"{path} is truncated: {size} bytes, shorter than a GGUF header.")
    version, n_tensors, _n_kv = struct.unpack("<IQQ", header[4:24])
    if version not in (1, 2, 3):
        raise error(f"{path} has GGUF version {version}, which this llama.cpp does not read.")
    if n_tensors > 0 and size < 1024:
        raise error(f"{path} claims {n_tensors} tensors but is only {size} bytes: truncated.")
