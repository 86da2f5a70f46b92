"""The build record: what engine/native/install.py built for this environment, and how.

Written to <sys.prefix>/share/logitscope/llama-cpp-build.json once the wheel is installed, read
by `logitscope doctor`. It names the CMAKE_ARGS, the AMX decision, the compiler and the host the
binary was built for, and holds a hash of the installed CPU library so that doctor can tell when
llama-cpp-python was later replaced by a plain `pip install` (which knows none of this).
Standard library only.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

RECORD_NAME = "llama-cpp-build.json"


def record_path(prefix: str | None = None) -> Path:
    return Path(prefix or sys.prefix) / "share" / "logitscope" / RECORD_NAME


def installed_library_dir() -> Path | None:
    """llama-cpp-python's bundled native libraries, found without importing llama_cpp."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.origin:
        return None
    lib = Path(spec.origin).parent / "lib"
    return lib if lib.is_dir() else None


def installed_library_fingerprint() -> str | None:
    """A hash over the installed native libraries' names and contents."""
    lib = installed_library_dir()
    if lib is None:
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in lib.iterdir() if p.is_file()):
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def write_record(record: dict, prefix: str | None = None) -> Path:
    path = record_path(prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_record(prefix: str | None = None) -> dict | None:
    try:
        return json.loads(record_path(prefix).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
