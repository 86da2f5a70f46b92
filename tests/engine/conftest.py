from __future__ import annotations

import pytest

from engine import LocalBackend
from engine.types import ModelConfig


@pytest.fixture(scope="module")
def backend(default_model):
    """One real worker with the default model, shared by a module's tests."""
    with LocalBackend(ModelConfig(default_model, n_ctx=2048)) as backend:
        backend.start()
        yield backend
