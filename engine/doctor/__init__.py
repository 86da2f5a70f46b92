"""`logitscope doctor`: does this installation work on this machine, and if not, what to do.

Each check (checks.py, packages.py, self_test.py) returns a `Check` (report.py); `run_doctor`
runs them in order. The CLI (tui/cli/doctor.py) prints the report or its JSON and exits 0 only
when no check failed.
"""

from .report import Check, DoctorReport
from .run import run_doctor

__all__ = ["Check", "DoctorReport", "run_doctor"]
