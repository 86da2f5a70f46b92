"""Finding `*.gguf` under a folder: recursive, symlinks followed once, unreadable parts skipped.

Shared by every store that is a plain folder tree (LM Studio, the user's folders, an HF
snapshot). A folder reached twice through symlinks is walked once; hidden folders (`.git`,
LM Studio's `.internal`) are skipped. Results are sorted, so listings are stable.
"""

from __future__ import annotations

import os
from pathlib import Path


def gguf_files(root: Path) -> list[Path]:
    """Every file (or symlink to one) named *.gguf under `root`, sorted by path; [] if none."""
    found: list[Path] = []
    seen: set[str] = set()

    def fail(_error: OSError) -> None:
        return None  # an unreadable folder: skip it, keep the rest

    for folder, dirs, files in os.walk(root, followlinks=True, onerror=fail):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.lower().endswith(".gguf"):
                path = Path(folder) / name
                if path.is_file():
                    found.append(path)
    return sorted(found)
