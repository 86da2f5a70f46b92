"""Which lines of llama.cpp's log explain an error: the details of ModelLoadError and WorkerDiedError.

llama.cpp logs a lot at debug and info level (one `llama_graph_n_input_tensors` line per graph),
so the last lines of the log rarely say why something failed. The excerpt keeps the lines that do:
warnings and errors by llama.cpp's log level where it is known, and lines naming an error, a
failure, an invalid value, a warning, an abort or an assertion. When none does, it keeps the last
few lines. A last line says how many were left out and where the full log is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

# ggml.h's enum ggml_log_level
GGML_LOG_LEVEL_NONE, GGML_LOG_LEVEL_DEBUG, GGML_LOG_LEVEL_INFO = 0, 1, 2
GGML_LOG_LEVEL_WARN, GGML_LOG_LEVEL_ERROR, GGML_LOG_LEVEL_CONT = 3, 4, 5

EXPLAINING = re.compile(r"error|fail|invalid|warn|abort|assert|unable|cannot", re.IGNORECASE)
KEEP = 12  # explaining lines at most
FALLBACK = 5  # last lines shown when none explains


def explains(line: str, level: int | None = None) -> bool:
    return level in (GGML_LOG_LEVEL_WARN, GGML_LOG_LEVEL_ERROR) or bool(EXPLAINING.search(line))


def excerpt(lines: Iterable[tuple[str, int | None]], log_path: Path | str | None = None,
            keep: int = KEEP, fallback: int = FALLBACK) -> str:
    """The explaining lines of `lines` ((text, level or None) pairs, oldest first), or the last few."""
    all_lines = [(text.rstrip(), level) for text, level in lines if text.strip()]
    chosen = [text for text, level in all_lines if explains(text, level)][-keep:]
    if not chosen:
        chosen = [text for text, _ in all_lines[-fallback:]]
    left_out = len(all_lines) - len(chosen)
    if left_out:
        where = f"; full log: {log_path}" if log_path else ""
        chosen.append(f"[{left_out} other line{'s' if left_out != 1 else ''} left out{where}]")
    return "\n".join(chosen)


def levelled_lines(fragments: list[str], levels: list[int]) -> list[tuple[str, int | None]]:
    """Lines from llama.cpp's log callback fragments, each with the highest level that wrote it.

    A GGML_LOG_LEVEL_CONT fragment continues the previous one's level.
    """
    out: list[tuple[str, int | None]] = []
    current, current_level, previous = "", GGML_LOG_LEVEL_NONE, GGML_LOG_LEVEL_NONE
    for fragment, level in zip(fragments, levels, strict=True):
        level = previous if level == GGML_LOG_LEVEL_CONT else level
        previous = level
        parts = fragment.split("\n")
        for part in parts[:-1]:
            out.append((current + part, max(current_level, level)))
            current, current_level = "", GGML_LOG_LEVEL_NONE
        if parts[-1]:
            current += parts[-1]
            current_level = max(current_level, level)
    if current:
        out.append((current, current_level))
    return out
