"""Shared fixtures: an isolated data/log/config dir for every test run, and the default model."""

from __future__ import annotations

import os
import tempfile

import pytest

# Set before any test module imports the engine, so nothing touches the user's real dirs.
_RUN_DIR = tempfile.mkdtemp(prefix="logitscope-tests-")
os.environ.setdefault("LOGITSCOPE_DATA_DIR", os.path.join(_RUN_DIR, "data"))
os.environ.setdefault("LOGITSCOPE_CONFIG", os.path.join(_RUN_DIR, "config.toml"))


@pytest.fixture(scope="session")
def default_model() -> str:
    from engine import default_model_path

    return str(default_model_path())


def pytest_report_header(config):
    """With LOGITSCOPE_DOCTOR_HEADER=1 (.ci/run sets it), the log starts with `logitscope doctor`:
    which llama.cpp build, compiled for what, ran the suite on this host."""
    if os.environ.get("LOGITSCOPE_DOCTOR_HEADER") != "1":
        return None
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "tui.cli.main", "doctor"], capture_output=True,
                          text=True, timeout=600)
    return [f"logitscope doctor (exit {done.returncode}):", *done.stdout.splitlines(),
            *done.stderr.splitlines()]
