"""What a worker killed by a signal most likely means, and what to do about it.

A llama.cpp worker that dies of SIGILL, SIGBUS or SIGSEGV while loading a model or on its first
decode almost always runs a binary that does not match the machine: built for another CPU,
handed back by pip's wheel cache from another build, or miscompiled (GCC 12 and llama.cpp's AMX
kernels). The message names that cause and the exact command that rebuilds llama-cpp-python for
this machine, and points to `logitscope doctor`. Later deaths get the plain message.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from .errors import WorkerDiedError

PHASE_LOAD = "load"
PHASE_FIRST_DECODE = "first decode"
PHASE_LATER = "later"

NATIVE_SIGNALS = ("SIGILL", "SIGBUS", "SIGSEGV")


def rebuild_command() -> str:
    """The command that rebuilds llama-cpp-python for this machine, for this environment."""
    script = Path(__file__).resolve().parent / "native" / "install.py"
    return f"{sys.executable} {script} --rebuild"


def diagnose(signal_name: str, phase: str) -> str | None:
    """A sentence or three on the likely cause and the fix, or None when there is nothing to add."""
    if signal_name not in NATIVE_SIGNALS or phase == PHASE_LATER:
        return None
    when = "while loading the model" if phase == PHASE_LOAD else "on its first decode"
    fix = (f"Rebuild llama-cpp-python for this machine: {rebuild_command()} "
           "(then `logitscope doctor` checks the build).")
    if signal_name == "SIGILL":
        cause = ("The llama.cpp binary uses an instruction this machine does not run: it was built "
                 "for another CPU, came back from pip's wheel cache, or was miscompiled (GCC 12 "
                 "breaks llama.cpp's AMX kernels on Intel Xeon CPUs with AMX).")
    elif signal_name == "SIGBUS" and phase == PHASE_LOAD:
        cause = ("Either the model file changed or was truncated while llama.cpp had it mapped "
                 "(check the file), or the llama.cpp binary does not match this machine.")
    else:
        cause = ("The likely cause is a llama.cpp binary that does not match this machine (built "
                 "for another CPU or another build configuration), or a model llama.cpp cannot "
                 "handle.")
    return f"It died {when}. {cause} {fix}"


def worker_died_error(exit_code: int | None, phase: str, log_path: Path | str,
                      details: str = "") -> WorkerDiedError:
    """The error for a worker that ended with `exit_code` (negative: killed by that signal)."""
    diagnosis = None
    if exit_code is not None and exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        how = f"killed by {name}"
        diagnosis = diagnose(name, phase)
    else:
        how = f"exited with code {exit_code}"
    return WorkerDiedError(
        f"The llama.cpp worker {how}. " + (f"{diagnosis} " if diagnosis else "")
        + "Nothing in this app was lost; the next request starts a fresh worker. "
        f"llama.cpp's log: {log_path}",
        details=details,
    )
