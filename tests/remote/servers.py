"""Start llama.cpp's `llama-server` and RPC workers on 127.0.0.1, wait until they answer, stop them.

The remote-engine tests (fixtures in tests/remote/conftest.py), the scale-out test and
scripts/scale_out_demo.py all need real servers built by engine/native/build_server.py: each
started on a free port, its output in a log file (read back when it fails to start), and killed
when the caller is done, also when a test fails. Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"


class ServerStartError(RuntimeError):
    """A server exited or did not become ready in time; the message ends with its log's tail."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class ServerProcess:
    """One started binary: its process, where it listens and where its output goes."""

    process: subprocess.Popen
    port: int
    log_path: Path
    command: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, grace_s: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def launch(command: Sequence[str], port: int, log_path: Path) -> ServerProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    return ServerProcess(process, port, log_path, list(command))


def wait_until(server: ServerProcess, ready, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerStartError(f"{what} exited with code {server.process.returncode}; "
                                   f"{server.log_path}:\n{log_tail(server.log_path)}")
        if ready():
            return
        time.sleep(0.1)
    server.stop()
    raise ServerStartError(f"{what} was not ready after {timeout_s:.0f} s; "
                           f"{server.log_path}:\n{log_tail(server.log_path)}")


def accepts_connections(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
        return True
    return False


def health_ok(url: str) -> bool:
    """llama-server's /health is 503 while the model loads and 200 {"status": "ok"} after."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200 and json.load(response).get("status") == "ok"
    except (OSError, ValueError, urllib.error.URLError):
        return False


def llama_server_command(binary: Path, model: Path, port: int, *, lora: Sequence[Path] = (),
                         lora_applied: bool = False, rpc: Sequence[str] = (), n_gpu_layers: int = 0,
                         n_ctx: int = 4096, parallel: int = 1, n_predict: int = 256,
                         threads: int | None = None, log_verbosity: int | None = None,
                         extra: Sequence[str] = ()) -> list[str]:
    """llama-server's arguments. Adapters load at global scale 0 (`--lora-scaled FILE:0`) unless
    `lora_applied` (`--lora FILE`, scale 1): a request without a `lora` field, or with `[]`, runs
    at the global scales; a non-empty `lora` field sets each scale, an adapter not listed at 0.
    (`--lora-init-without-apply` does not do it: the pinned server still serves such a request
    at scale 1.)
    `log_verbosity` 4 (debug) makes the log say where the model load put each buffer."""
    command = [str(binary), "-m", str(model), "--host", HOST, "--port", str(port),
               "-c", str(n_ctx), "-np", str(parallel), "-n", str(n_predict),
               "-ngl", str(n_gpu_layers), "--no-ui"]
    for adapter in lora:
        if lora_applied:
            command += ["--lora", str(adapter)]
        elif ":" in str(adapter) or "," in str(adapter):
            raise ValueError(f"--lora-scaled cannot take a path with ':' or ',': {adapter}")
        else:
            command += ["--lora-scaled", f"{adapter}:0"]
    if rpc:
        command += ["--rpc", ",".join(rpc)]
    if threads is not None:
        command += ["-t", str(threads)]
    if log_verbosity is not None:
        command += ["-lv", str(log_verbosity)]
    return [*command, *extra]


def start_llama_server(binary: Path, model: Path, log_path: Path, *, timeout_s: float = 120.0,
                       port: int | None = None, **options) -> ServerProcess:
    """Start llama-server (options: llama_server_command's) and wait for /health to say ok."""
    port = port or free_port()
    server = launch(llama_server_command(binary, model, port, **options), port, log_path)
    wait_until(server, lambda: health_ok(server.url), timeout_s, "llama-server")
    return server


def start_rpc_worker(binary: Path, log_path: Path, *, threads: int = 1, timeout_s: float = 30.0,
                     port: int | None = None) -> ServerProcess:
    """Start an RPC worker exposing this host's CPU on 127.0.0.1 (its default host: any other
    host makes it print llama.cpp's warning); ready once it accepts a connection."""
    port = port or free_port()
    server = launch([str(binary), "-H", HOST, "-p", str(port), "-t", str(threads)], port, log_path)
    wait_until(server, lambda: accepts_connections(port), timeout_s, f"RPC worker on {port}")
    return server


@contextlib.contextmanager
def running(*servers: ServerProcess) -> Iterator[tuple[ServerProcess, ...]]:
    """Stop the given servers on exit, whatever happened."""
    try:
        yield servers
    finally:
        for server in reversed(servers):
            server.stop()


def post_json(url: str, body: dict, timeout_s: float = 60.0) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return json.load(response)


def get_json(url: str, timeout_s: float = 30.0):
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.load(response)
