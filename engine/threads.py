"""How many CPU threads to compute with when the user did not say: the CPUs this process may use.

One answer for llama.cpp in the worker and torch in adapter training. `os.sched_getaffinity`
(which honours taskset and container CPU limits) exists only on Linux and some BSDs; macOS and
Windows fall back to `os.process_cpu_count` (Python 3.13) and then `os.cpu_count`.
"""

from __future__ import annotations

import os


def default_thread_count() -> int:
    """The number of CPUs this process may run on (at least 1), on any OS."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except OSError:
            pass
    count = os.process_cpu_count() if hasattr(os, "process_cpu_count") else os.cpu_count()
    return max(1, count or 1)
