"""Fixtures for the session tests: tiny models (built in milliseconds) and a backend to run them."""

from __future__ import annotations

import pytest
from tiny_models import other_tokenizer, same_tokenizer, smaller_vocab


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, str]:
    """a: the recording model; b: other weights, same tokenizer; c: another tokenizer;
    d: the same tokenizer cut to 280 ids."""
    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "a": str(same_tokenizer(root / "a.gguf", seed=0)),
        "b": str(same_tokenizer(root / "b.gguf", seed=1)),
        "c": str(other_tokenizer(root / "c.gguf")),
        "d": str(smaller_vocab(root / "d.gguf")),
    }


@pytest.fixture(scope="module")
def tiny_backend(tiny_models):
    from engine import LocalBackend
    from engine.types import ModelConfig

    backend = LocalBackend(ModelConfig(tiny_models["a"], n_ctx=256))
    backend.start()
    yield backend
    backend.close()
