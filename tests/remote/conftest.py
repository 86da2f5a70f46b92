"""Fixtures for the remote-engine tests: a real llama-server on 127.0.0.1 with the default model.

One llama-server per test session (a few seconds to start): the default model, a 4096-token
context and one slot (the local engine's numbers on one sequence), and a random LoRA for the
default model loaded at start as adapter id 0 at global scale 0 (`--lora-scaled FILE:0`), so a
request without a `lora` field gets the base model and `[{"id": 0, "scale": s}]` the adapter at
s. The binaries come from engine/native/build_server.py's cache; without them these tests skip,
or fail when LOGITSCOPE_REQUIRE_SERVER=1 (CI sets it: there the build runs first).

`openai_server`: llama-cpp-python's own OpenAI-compatible server (`python -m llama_cpp.server`,
its `server` extra's packages are in the test extra) on the default model, flash attention on
as the local engine's default resolves here, one per session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import ServerProcess, free_port, log_tail, start_llama_server

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


@pytest.fixture(scope="session")
def openai_server(default_model, tmp_path_factory) -> Iterator[str]:
    pytest.importorskip("uvicorn", reason="llama-cpp-python's server extra (uvicorn, fastapi, sse-starlette)")
    pytest.importorskip("sse_starlette", reason="llama-cpp-python's server extra")
    port = free_port()
    log = tmp_path_factory.mktemp("lcpp-server") / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", default_model, "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "4096", "--flash_attn", "true"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log_tail(log)
            try:
                urllib.request.urlopen(f"{url}/v1/models", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"llama-cpp-python's server did not start:\n{log_tail(log)}"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)
