"""How much memory an engine worker holds: its resident set, read from the OS without psutil.

Why it exists: a comparison on a second model runs a second worker, and the user is told what
that costs; benchmarks compare the worker with a bare llama.cpp context. Linux says it in
/proc/PID/status (VmRSS); elsewhere the answer is None and callers fall back to the model file's
size as an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerMemory:
    """One engine worker: the model it holds, its process and its resident memory (None: unknown)."""

    model_path: str
    pid: int
    resident_bytes: int | None
    extra: bool  # a worker started for a comparison on another model, not the loaded model's own


def resident_bytes(pid: int) -> int | None:
    """The resident set size of process `pid` in bytes, or None where the OS does not say."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024  # the kernel writes kB
    except (OSError, ValueError, IndexError):
        return None
    return None
