"""Shared fixtures for the adapter tests: a private data dir and a tiny llama model as GGUF."""

from __future__ import annotations

import os

import pytest
from tiny_llama import TinyConfig, make_weights, write_gguf


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory):
    """Keep sha256 caches, logs and adapters out of the user's real data dir."""
    path = tmp_path_factory.mktemp("logitscope-data")
    old = os.environ.get("LOGITSCOPE_DATA_DIR")
    os.environ["LOGITSCOPE_DATA_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("LOGITSCOPE_DATA_DIR", None)
    else:
        os.environ["LOGITSCOPE_DATA_DIR"] = old


@pytest.fixture(scope="session")
def tiny_config() -> TinyConfig:
    return TinyConfig()


@pytest.fixture(scope="session")
def tiny_weights(tiny_config):
    return make_weights(tiny_config, seed=0)


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory, tiny_config, tiny_weights):
    return write_gguf(tmp_path_factory.mktemp("tiny") / "tiny-llama.gguf", tiny_config, tiny_weights)
