"""The engine's worker process: the only place llama.cpp runs.

llama.cpp writes to file descriptors 1 and 2 and aborts the whole process on some bad inputs.
Running it here, with fds 1/2 pointed at a log file, keeps its output off the user's terminal and
its crashes out of the caller: the parent (engine/local.py) sees a closed pipe and reports it.

Protocol over a multiprocessing Pipe: the parent sends (command, payload); the worker answers
("ok", value) or ("error", error class name, msg, details); a generation first streams
("steps", [TokenStep, ...]) batches. A shared counter asks a generation to stop between
tokens: generation N stops once the counter reaches N (see LocalBackend.cancel).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Any


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


def _stream(conn: Any, items: Any) -> None:
    """Send a generation's TokenSteps in batches, at most ~60 a second, then its result.

    One message per token would wake the caller per token; on a machine with as many busy
    llama.cpp threads as cores, every wake-up stalls a decode. The first step goes at once.
    """
    pending: list[Any] = []
    last_flush = 0.0
    for item in items:
        if item.__class__.__name__ != "TokenStep":
            if pending:
                conn.send(("steps", pending))
            conn.send(("ok", item))
            return
        pending.append(item)
        now = time.perf_counter()
        if now - last_flush >= STEP_FLUSH_S:
            conn.send(("steps", pending))
            pending = []
            last_flush = now


def worker_main(conn: Any, cancelled_through: Any, log_path: str) -> None:
    log = _redirect_output(log_path)
    os.environ.setdefault("GGML_NO_BACKTRACE", "1")  # an abort must not launch gdb
    print(f"--- logitscope engine worker pid {os.getpid()} ---", file=log)
    from .errors import EngineError, RequestError
    from .llama_backend import LlamaBackend, LogSink, system_info

    sink = LogSink(log.write)
    backend: LlamaBackend | None = None

    def need_backend() -> LlamaBackend:
        if backend is None:
            raise RequestError("No model is loaded in the engine worker.")
        return backend

    while True:
        try:
            command, payload = conn.recv()
        except (EOFError, OSError):
            break  # parent went away
        try:
            if command == "shutdown":
                conn.send(("ok", None))
                break
            if command == "load":
                if backend is not None:
                    backend.close()
                    backend = None
                backend = LlamaBackend(payload, sink)
                conn.send(("ok", backend.info()))
            elif command == "generate":
                generation_id, request = payload

                def cancelled(generation_id: int = generation_id) -> bool:
                    return cancelled_through.value >= generation_id

                _stream(conn, need_backend().generate(request, cancelled))
            else:
                handler = {
                    "render": lambda p: need_backend().render(*p),
                    "choose": lambda p: need_backend().choose(p),
                    "score": lambda p: need_backend().score(p),
                    "set_adapters": lambda p: need_backend().set_adapters(p),
                    "logits": lambda p: need_backend().logits_for(list(p)),
                    "tokenize": lambda p: need_backend().tokenize_text(p),
                    "token_text": lambda p: [need_backend().token_text(t) for t in p],
                    "info": lambda p: need_backend().info(),
                    "system_info": lambda p: system_info(),  # needs no model
                    "crash": lambda p: os.abort(),  # for tests of the parent's recovery
                }.get(command)
                if handler is None:
                    raise RequestError(f"Unknown engine command {command!r}.")
                conn.send(("ok", handler(payload)))
        except EngineError as exc:
            conn.send(("error", type(exc).__name__, exc.msg, exc.details))
        except Exception as exc:  # report, keep serving
            traceback.print_exc(file=log)
            conn.send(("error", "EngineError", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    if backend is not None:
        backend.close()
