"""How many CPU threads to compute with when the user did not say: the CPUs this process may use.

One answer for llama.cpp in the worker and torch in adapter training, and one for the TUI, which
leaves its UI a core while a CPU model streams (`interactive_thread_counts`). `os.sched_getaffinity`
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


def interactive_thread_counts(n_gpu_layers: int) -> tuple[int | None, int | None]:
    """(n_threads, n_threads_batch) for an app that draws while a model streams: on a CPU model
    (no layer offloaded) with 2 or more CPUs, one-token decodes leave the UI a core and prompts
    use every CPU; otherwise (None, None), the engine's defaults.

    Why: llama.cpp's threads spin on every core they are given, and a UI thread that has to wait
    for a core draws tokens late and answers keys late (benchmarks/tui_throughput.py on 2 cores:
    TUI/engine 0.76 with 2 threads, 0.88 with 1, keystroke p50 30 -> 25 ms). Thread counts do not
    change the numbers (tests/engine/test_runtime_provenance.py).
    """
    cpus = default_thread_count()
    if n_gpu_layers != 0 or cpus < 2:
        return None, None
    return cpus - 1, cpus
