"""Fixtures for the remote-engine tests: a real llama-server on 127.0.0.1 with the default model.

One llama-server per test session (a few seconds to start): the default model, a 4096-token
context and one slot (the local engine's numbers on one sequence), and a random LoRA for the
default model loaded at start as adapter id 0 at global scale 0 (`--lora-scaled FILE:0`), so a
request without a `lora` field gets the base model and `[{"id": 0, "scale": s}]` the adapter at
s. The binaries come from engine/native/build_server.py's cache; without them these tests skip,
or fail when LOGITSCOPE_REQUIRE_SERVER=1 (CI sets it: there the build runs first).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import ServerProcess, start_llama_server

from engine.native.server_binaries import ServerBinaries, server_binaries


@pytest.fixture(scope="session")
def llama_binaries() -> ServerBinaries:
    found = server_binaries()
    if found is None:
        message = ("llama-server is not built for this machine: run "
                   "`python engine/native/build_server.py` (about 9 minutes on 2 cores, then cached)")
        if os.environ.get("LOGITSCOPE_REQUIRE_SERVER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def llama_server_adapter(tmp_path_factory, default_model) -> Path:
    """The random LoRA the session's llama-server loads as adapter id 0 (rank 8, seed 15)."""
    from adapters.random_lora import random_lora

    return random_lora(default_model, tmp_path_factory.mktemp("remote-lora") / "random15.gguf",
                       rank=8, std=0.05, seed=15)


@pytest.fixture(scope="session")
def llama_server_process(llama_binaries, default_model, llama_server_adapter,
                         tmp_path_factory) -> Iterator[ServerProcess]:
    """The session's llama-server (its url, log_path and command), stopped at the end."""
    log = tmp_path_factory.mktemp("llama-server") / "llama-server.log"
    server = start_llama_server(llama_binaries.llama_server, Path(default_model), log,
                                lora=[llama_server_adapter], n_ctx=4096, parallel=1)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def llama_server(llama_server_process) -> str:
    """The URL (http://127.0.0.1:PORT) of the session's llama-server."""
    return llama_server_process.url
