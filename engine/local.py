"""LocalBackend: the caller's handle on llama.cpp running in a worker process (engine/worker.py).

It starts the worker with the multiprocessing "spawn" method (never fork a process that may hold
threads, like a running Textual app), checks model files before the worker sees them, turns the
worker's replies back into typed results and errors, and notices when the worker dies (abort,
segfault, kill): the caller gets a WorkerDiedError with the end of llama.cpp's log, and the next
call starts a fresh worker with the same configuration.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import errors as engine_errors
from .crash_diagnosis import PHASE_FIRST_DECODE, PHASE_LATER, PHASE_LOAD, worker_died_error
from .errors import EngineError, ModelLoadError, WorkerDiedError
from .gguf_header import check_gguf_file
from .locations import llama_log_path
from .types import (
    AdapterSpec,
    Capabilities,
    ChoiceRequest,
    ChoiceResult,
    GenerationRequest,
    GenerationResult,
    Message,
    ModelConfig,
    ModelInfo,
    NativeSystemInfo,
    RenderedPrompt,
    ScoreRequest,
    ScoreResult,
    SystemPrompt,
    TokenStep,
)
from .worker import worker_main

_POLL_S = 0.2


class LocalGeneration:
    """A generation streaming from the worker; iterate once."""

    def __init__(self, backend: LocalBackend, request: GenerationRequest, generation_id: int) -> None:
        self._backend = backend
        self._request = request
        self._id = generation_id
        self.result: GenerationResult | None = None

    def __iter__(self) -> Iterator[TokenStep]:
        backend = self._backend
        with backend._lock:
            backend._send("generate", (self._id, self._request))
            try:
                while True:
                    kind, value = backend._receive()  # an error reply ends the stream by raising
                    if kind != "steps":
                        self.result = value
                        backend._phase = PHASE_LATER
                        return
                    yield from value
            except GeneratorExit:
                # The consumer stopped early: cancel and drain so the pipe stays in step.
                backend._cancel_through(self._id)
                try:
                    while backend._receive()[0] == "steps":
                        pass
                except EngineError:
                    pass
                raise


class LocalBackend:
    capabilities = Capabilities(full_vocab_logprobs=True, lora_hot_swap=True, cancel=True)

    def __init__(self, config: ModelConfig, log_path: Path | None = None) -> None:
        self.config = config
        self.log_path = Path(log_path) if log_path else llama_log_path()
        self._mp = multiprocessing.get_context("spawn")
        # Generations are numbered; cancelling sets this to the newest number handed out, so a
        # cancel that lands just before the worker starts that generation still stops it, and
        # never leaks into a later one.
        self._cancelled_through = self._mp.Value("q", 0)
        self._last_generation_id = 0
        self._lock = threading.RLock()
        self._process: Any = None
        self._conn: Any = None
        self._info: ModelInfo | None = None
        # What the worker is doing, for the diagnosis when it dies of a signal.
        self._phase = PHASE_LOAD

    # ----- worker lifecycle ------------------------------------------------------------------

    def _alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _spawn(self) -> None:
        parent_conn, child_conn = self._mp.Pipe(duplex=True)
        process = self._mp.Process(
            target=worker_main,
            args=(child_conn, self._cancelled_through, str(self.log_path)),
            name="logitscope-engine",
            daemon=True,
        )
        process.start()
        child_conn.close()  # so a dead worker reads as EOF here
        self._process, self._conn = process, parent_conn

    def _send(self, command: str, payload: Any) -> None:
        if not self._alive():
            raise WorkerDiedError("The engine worker is not running; start it again.")
        try:
            self._conn.send((command, payload))
        except (BrokenPipeError, OSError) as exc:
            raise self._died() from exc

    def _receive(self) -> tuple[str, Any]:
        while True:
            try:
                if self._conn.poll(_POLL_S):
                    message = self._conn.recv()
                    break
            except (EOFError, OSError) as exc:
                raise self._died() from exc
            if not self._process.is_alive():
                raise self._died()
        if message[0] == "error":
            _, name, msg, details = message
            cls = getattr(engine_errors, name, EngineError)
            if not (isinstance(cls, type) and issubclass(cls, EngineError)):
                cls = EngineError
            raise cls(msg, details=details)
        return message[0], message[1]

    def _died(self) -> WorkerDiedError:
        process = self._process
        process.join(timeout=2)
        self._process = None
        self._info = None
        return worker_died_error(process.exitcode, self._phase, self.log_path, self._log_tail())

    def _log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(0, 2)
                handle.seek(max(0, handle.tell() - 8192))
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _call(self, command: str, payload: Any = None) -> Any:
        with self._lock:
            self._ensure_started()
            self._send(command, payload)
            value = self._receive()[1]
            if command in ("choose", "score", "logits"):
                self._phase = PHASE_LATER  # the model has decoded: the build runs here
            return value

    def _ensure_started(self) -> None:
        if self._alive() and self._info is not None:
            return
        self._load_locked(self.config)

    def _load_locked(self, config: ModelConfig) -> ModelInfo:
        check_gguf_file(config.model_path, ModelLoadError)
        if not self._alive():
            self._spawn()
        self._phase = PHASE_LOAD
        self._send("load", config)
        _, info = self._receive()
        self._phase = PHASE_FIRST_DECODE
        self.config = config
        self._info = info
        return info

    def system_info(self) -> NativeSystemInfo:
        """What the llama.cpp build can do here; starts the worker but loads no model."""
        with self._lock:
            if not self._alive():
                self._spawn()
                self._phase = PHASE_LOAD
            self._send("system_info", None)
            return self._receive()[1]

    # ----- the Backend interface -------------------------------------------------------------

    def start(self) -> ModelInfo:
        with self._lock:
            self._ensure_started()
            assert self._info is not None
            return self._info

    def load(self, config: ModelConfig) -> ModelInfo:
        with self._lock:
            self._info = None
            return self._load_locked(config)

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    def render(self, system: SystemPrompt, messages: tuple[Message, ...]) -> RenderedPrompt:
        return self._call("render", (system, tuple(messages)))

    def generate(self, request: GenerationRequest) -> LocalGeneration:
        with self._lock:
            self._ensure_started()
            self._last_generation_id += 1
            return LocalGeneration(self, request, self._last_generation_id)

    def choose(self, request: ChoiceRequest) -> ChoiceResult:
        return self._call("choose", request)

    def score(self, request: ScoreRequest) -> ScoreResult:
        return self._call("score", request)

    def set_adapters(self, adapters: tuple[AdapterSpec, ...]) -> None:
        self._call("set_adapters", tuple(adapters))
        self.config = replace(self.config, adapters=tuple(adapters))

    def logits(self, token_ids: list[int]) -> list[float]:
        """Raw last-position logits after `token_ids` (tests and adapter checks)."""
        return self._call("logits", list(token_ids))

    def tokenize(self, text: str) -> list[int]:
        return self._call("tokenize", text)

    def token_texts(self, token_ids: list[int]) -> list[str]:
        return self._call("token_text", list(token_ids))

    def cancel(self) -> None:
        self._cancel_through(self._last_generation_id)

    def _cancel_through(self, generation_id: int) -> None:
        with self._cancelled_through.get_lock():
            if self._cancelled_through.value < generation_id:
                self._cancelled_through.value = generation_id

    def close(self) -> None:
        with self._lock:
            if self._alive():
                try:
                    self._conn.send(("shutdown", None))
                    self._conn.poll(5) and self._conn.recv()
                except (OSError, EOFError):
                    pass
                self._process.join(timeout=5)
                if self._process.is_alive():
                    self._process.kill()
            self._process = None
            self._info = None

    def kill_worker(self, sig: int = signal.SIGKILL) -> None:
        """Stop a stuck worker the hard way; the caller then sees WorkerDiedError."""
        if self._process is not None:
            os.kill(self._process.pid, sig)

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
