"""The engine's worker process: the only place llama.cpp runs.

llama.cpp writes to file descriptors 1 and 2 and aborts the whole process on some bad inputs.
Running it here, with fds 1/2 pointed at a log file, keeps its output off the user's terminal and
its crashes out of the caller: the parent (engine/local.py) sees a closed pipe and reports it.

The messages are in engine/worker_protocol.py: each `Request` is looked up in one dispatch table
and answered with one `Done` or `Failed`; a generation streams `StepBatch`es first. A shared
counter asks a generation to stop between tokens: generation N stops once the counter reaches N
(see LocalBackend.cancel).
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from .compare.types import CompareStep, RowsStep
from .errors import EngineError, RequestError
from .types import TokenStep
from .worker_protocol import Command, Done, Failed, Request, StepBatch


def _redirect_output(log_path: str) -> Any:
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    log = open(log_path, "a", buffering=1, encoding="utf-8", errors="replace")
    sys.stdout = log
    sys.stderr = log
    return log


STEP_FLUSH_S = 1 / 60


def _stream(conn: Any, items: Iterable[Any]) -> Any:
    """Send a generation's TokenSteps (a comparison's CompareSteps) in StepBatches, at most ~60 a
    second; return its result.

    One message per token would wake the caller per token; on a machine with as many busy
    llama.cpp threads as cores, every wake-up stalls a decode. The first step goes at once.
    If the generation fails, the steps decided before the failure are sent before it propagates.
    """
    pending: list[Any] = []
    last_flush = 0.0
    try:
        for item in items:
            if not isinstance(item, TokenStep | CompareStep | RowsStep):
                return item
            pending.append(item)
            now = time.perf_counter()
            if now - last_flush >= STEP_FLUSH_S:
                conn.send(StepBatch(tuple(pending)))
                pending = []
                last_flush = now
        raise RequestError("The generation ended without a result.")
    finally:
        if pending:
            conn.send(StepBatch(tuple(pending)))


class _Worker:
    """The worker's state between requests: the loaded model, if any."""

    def __init__(self, conn: Any, cancelled_through: Any, sink: Any) -> None:
        self.conn = conn
        self.cancelled_through = cancelled_through
        self.sink = sink
        self.backend: Any = None  # LlamaBackend once a model is loaded
        self.running = True

    def model(self) -> Any:
        if self.backend is None:
            raise RequestError("No model is loaded in the engine worker.")
        return self.backend

    def load(self, config: Any) -> Any:
        from .llama_backend import LlamaBackend

        if self.backend is not None:
            self.backend.close()
            self.backend = None
        self.backend = LlamaBackend(config, self.sink)
        return self.backend.info()

    def _cancel_check(self, generation_id: int) -> Callable[[], bool]:
        """Whether generation `generation_id` was asked to stop (see LocalBackend.cancel)."""
        return lambda: self.cancelled_through.value >= generation_id

    def generate(self, payload: tuple[int, Any]) -> Any:
        generation_id, request = payload
        return _stream(self.conn, self.model().generate(request, self._cancel_check(generation_id)))

    def compare(self, payload: tuple[int, Any]) -> Any:
        generation_id, request = payload
        return _stream(self.conn, self.model().compare(request, self._cancel_check(generation_id)))

    def compare_rows(self, payload: tuple[int, Any]) -> Any:
        from .compare.lockstep import run_lockstep_with_rows

        generation_id, request = payload
        return _stream(self.conn, run_lockstep_with_rows(self.model(), request, self._cancel_check(generation_id)))

    def system_info(self, _payload: None) -> Any:
        from .llama_backend import system_info

        return system_info()

    def shutdown(self, _payload: None) -> None:
        self.running = False

    def stall(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None


HANDLERS: dict[Command, Callable[[_Worker, Any], Any]] = {
    Command.LOAD: _Worker.load,
    Command.RENDER: lambda w, p: w.model().render(*p),
    Command.GENERATE: _Worker.generate,
    Command.COMPARE: _Worker.compare,
    Command.COMPARE_ROWS: _Worker.compare_rows,
    Command.CHOOSE: lambda w, p: w.model().choose(p),
    Command.SCORE: lambda w, p: w.model().score(p),
    Command.SET_ADAPTERS: lambda w, p: w.model().set_adapters(p),
    Command.TOKENIZE: lambda w, p: w.model().tokenize_text(p),
    Command.SYSTEM_INFO: _Worker.system_info,
    Command.SHUTDOWN: _Worker.shutdown,
    Command.LOGITS: lambda w, p: w.model().logits_for(list(p)),
    Command.CRASH: lambda w, p: os.abort(),
    Command.STALL: _Worker.stall,
}


def worker_main(conn: Any, cancelled_through: Any, log_path: str) -> None:
    # A terminal's Ctrl-C goes to the whole process group; the parent decides what it means (a
    # cancel between tokens, a close), so the worker must not die of it mid-answer.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log = _redirect_output(log_path)
    os.environ.setdefault("GGML_NO_BACKTRACE", "1")  # an abort must not launch gdb
    print(f"--- logitscope engine worker pid {os.getpid()} ---", file=log)
    from .llama_backend import LogSink

    worker = _Worker(conn, cancelled_through, LogSink(log.write))
    while worker.running:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break  # parent went away
        try:
            if not isinstance(request, Request) or request.command not in HANDLERS:
                raise RequestError(f"Unknown engine request {request!r}.")
            reply: Done | Failed = Done(HANDLERS[request.command](worker, request.payload))
        except EngineError as exc:
            reply = Failed.of(exc)
        except Exception as exc:  # report, keep serving
            traceback.print_exc(file=log)
            reply = Failed.of(exc)
        try:
            conn.send(reply)
        except (EOFError, OSError):
            break
        except Exception as exc:  # a reply that does not pickle
            traceback.print_exc(file=log)
            conn.send(Failed.of(exc))
    worker.close()
