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
