"""LocalBackend: the caller's handle on llama.cpp running in a worker process (engine/worker.py).

It starts the worker with the multiprocessing "spawn" method (never fork a process that may hold
threads, like a running Textual app), checks model files before the worker sees them, speaks the
typed protocol of engine/worker_protocol.py, and notices when the worker dies (abort, segfault,
kill): the caller gets a WorkerDiedError with the end of llama.cpp's log, and the next call
starts a fresh worker with the same configuration. `close` never waits on the worker for more
than about CLOSE_S: a worker busy with a load, a long prompt or hashing a model is killed.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from .compare import CompareRequest, CompareResult, CompareStep
from .compare.across_models import CrossModelComparison, LaneGroup, check_one_vocabulary
from .compare.types import RowsStep
from .crash_diagnosis import PHASE_FIRST_DECODE, PHASE_LATER, PHASE_LOAD, worker_died_error
from .errors import EngineClosedError, EngineError, ModelLoadError, WorkerDiedError
from .gguf import check_gguf_file
from .locations import llama_log_path
from .log_excerpt import excerpt
from .process_memory import WorkerMemory, resident_bytes
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
from .worker_protocol import DECODING_COMMANDS, Command, Done, Failed, Request, StepBatch

_POLL_S = 0.2
CLOSE_S = 2.0  # close() returns within about this long, whatever the worker is doing
_LOCK_WAIT_S = 0.2  # how long close waits for another thread's request to finish
_KILL_S = 0.5  # the part of CLOSE_S kept for killing and reaping the worker


class _LocalStream:
    """A generation or comparison streaming from the worker; iterate once.

    `steps` holds every step received so far, in order, also after iteration ended with an
    error: the worker sends the steps decided before a failure ahead of the failure, so a caller
    that catches the error finds the partial answer in `steps`. `result` is set on success.
    """

    command: Command

    def __init__(self, backend: LocalBackend, request: Any, generation_id: int) -> None:
        self._backend = backend
        self._request = request
        self._id = generation_id
        self.steps: list[Any] = []
        self.result: Any = None

    def __iter__(self) -> Iterator[Any]:
        return self._run()

    def _run(self) -> Generator[Any, None, None]:
        backend = self._backend
        with backend._lock:
            backend._send(Request(self.command, (self._id, self._request)))
            try:
                while True:
                    reply = backend._receive()  # a Failed reply ends the stream by raising
                    if isinstance(reply, StepBatch):
                        self.steps.extend(reply.steps)
                        yield from reply.steps
                    else:
                        self.result = reply.value
                        backend._phase = PHASE_LATER
                        return
            except GeneratorExit:
                # The consumer stopped early: cancel and drain so the pipe stays in step.
                backend._cancel_through(self._id)
                try:
                    while isinstance(backend._receive(), StepBatch):
                        pass
                except EngineError:
                    pass
                raise


class LocalGeneration(_LocalStream):
    """A generation: TokenSteps, then its GenerationResult."""

    command = Command.GENERATE
    steps: list[TokenStep]
    result: GenerationResult | None

    def __iter__(self) -> Iterator[TokenStep]:
        return super().__iter__()


class LocalComparison(_LocalStream):
    """A comparison (engine/compare/): CompareSteps, then its CompareResult."""

    command = Command.COMPARE
    steps: list[CompareStep]
    result: CompareResult | None

    def __iter__(self) -> Iterator[CompareStep]:
        return super().__iter__()


class LocalRowsComparison(_LocalStream):
    """One worker's share of a comparison across models: its lanes' CompareSteps with their
    logits rows (RowsSteps), then its CompareResult (engine/compare/across_models.py merges them)."""

    command = Command.COMPARE_ROWS
    result: CompareResult | None

    def rows(self) -> Generator[RowsStep, None, None]:
        """The RowsSteps; closing the generator early cancels the worker's comparison."""
        return self._run()


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
        self._lock = threading.RLock()  # held for a whole request, a load or a stream
        self._process: Any = None
        self._conn: Any = None
        self._awaiting_reply = False  # a request was sent and its Done/Failed not yet read
        self._closed = False  # close() stopped the worker; a request it interrupted says so
        self._info: ModelInfo | None = None
        # What the worker is doing, for the diagnosis when it dies of a signal.
        self._phase = PHASE_LOAD
        # Workers for comparisons on other models, by the model file's real path: each its own
        # process and memory, kept until release_extra_workers(), a load or close.
        self._extra_workers: dict[str, LocalBackend] = {}

    # ----- worker lifecycle ------------------------------------------------------------------

    def _alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _spawn(self) -> None:
        if self._closed:  # close() means closed, even for a request that raced it
            raise EngineClosedError("The engine was closed; start it again to use it.")
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

    def _send(self, request: Request) -> None:
        if not self._alive():
            raise self._gone()
        try:
            self._conn.send(request)
        except (BrokenPipeError, OSError) as exc:
            raise self._died(self._process) from exc
        self._awaiting_reply = True

    def _receive(self) -> Done | StepBatch:
        """The worker's next message; its error raised when it is a Failed."""
        process, conn = self._process, self._conn
        if process is None or conn is None:
            raise self._gone()
        while True:
            try:
                if conn.poll(_POLL_S):
                    reply = conn.recv()
                    break
            except (EOFError, OSError) as exc:
                raise self._died(process) from exc
            if not process.is_alive():
                raise self._died(process)
        if isinstance(reply, StepBatch):
            return reply
        self._awaiting_reply = False
        if isinstance(reply, Failed):
            raise reply.error()
        return reply

    def _receive_done(self) -> Any:
        """The result of a request that streams nothing."""
        reply = self._receive()
        if not isinstance(reply, Done):
            raise EngineError(f"The engine worker sent {type(reply).__name__} where a result was due.")
        return reply.value

    def _gone(self) -> WorkerDiedError:
        if self._closed:
            return EngineClosedError("The engine was closed while this request was running.")
        return WorkerDiedError("The engine worker is not running; start it again.")

    def _died(self, process: Any) -> WorkerDiedError:
        process.join(timeout=2)
        if self._process is process:
            self._process = None
            self._conn = None
            self._info = None
            self._awaiting_reply = False
        if self._closed:
            return self._gone()
        return worker_died_error(process.exitcode, self._phase, self.log_path, self._log_tail())

    def _log_tail(self) -> str:
        """The lines at the end of llama.cpp's log that explain the death (errors, warnings, asserts).

        The file has no log levels (the worker writes the text, and stderr lands there too), so
        the lines are chosen by what they say; the details end with how many more are in the file.
        """
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(0, 2)
                handle.seek(max(0, handle.tell() - 8192))
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        lines = text.splitlines()[1:] if len(text) >= 8192 else text.splitlines()  # a cut first line
        return excerpt([(line, None) for line in lines], self.log_path)

    def _call(self, command: Command, payload: Any = None) -> Any:
        with self._lock:
            self._ensure_started()
            self._send(Request(command, payload))
            value = self._receive_done()
            if command in DECODING_COMMANDS:
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
        self._send(Request(Command.LOAD, config))
        info = self._receive_done()
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
            self._send(Request(Command.SYSTEM_INFO))
            return self._receive_done()

    # ----- the Backend interface -------------------------------------------------------------

    def start(self) -> ModelInfo:
        self._closed = False  # an explicit start opens a closed backend again
        with self._lock:
            self._ensure_started()
            assert self._info is not None
            return self._info

    def load(self, config: ModelConfig) -> ModelInfo:
        self._closed = False
        self.release_extra_workers()  # they were started with the old settings
        with self._lock:
            # A file refused here never reaches the worker: the loaded model stays loaded.
            check_gguf_file(config.model_path, ModelLoadError)
            self._info = None
            return self._load_locked(config)

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    def render(self, system: SystemPrompt, messages: tuple[Message, ...]) -> RenderedPrompt:
        return self._call(Command.RENDER, (system, tuple(messages)))

    def generate(self, request: GenerationRequest) -> LocalGeneration:
        with self._lock:
            self._ensure_started()
            self._last_generation_id += 1
            return LocalGeneration(self, request, self._last_generation_id)

    def compare(self, request: CompareRequest) -> LocalComparison | CrossModelComparison:
        """A comparison on the loaded model; one whose lanes name other model files
        (configuration.model_path) runs those lanes in a worker per model (started on first
        iteration, kept for the next comparison: see worker_memory and release_extra_workers)."""
        with self._lock:
            self._ensure_started()
            models = [self._lane_model(lane.configuration.model_path) for lane in request.lanes]
            own = os.path.realpath(self.config.model_path)
            if all(model == own for model in models):
                self._last_generation_id += 1
                return LocalComparison(self, request, self._last_generation_id)
            order = list(dict.fromkeys(models))
            check_one_vocabulary(order)
            groups = [LaneGroup(self if model == own else self._extra_worker(model),
                                tuple(i for i, m in enumerate(models) if m == model)) for model in order]

            def start() -> None:
                for group in groups:
                    group.backend.start()

            return CrossModelComparison(request, groups, start)

    def compare_rows(self, request: CompareRequest) -> LocalRowsComparison:
        """This worker's lanes of a comparison across models, with their logits rows."""
        with self._lock:
            self._ensure_started()
            self._last_generation_id += 1
            return LocalRowsComparison(self, request, self._last_generation_id)

    def _lane_model(self, path: str) -> str:
        return os.path.realpath(os.path.expanduser(path or self.config.model_path))

    def _extra_worker(self, model: str) -> LocalBackend:
        worker = self._extra_workers.get(model)
        if worker is None:
            check_gguf_file(model, ModelLoadError)
            log = self.log_path.with_name(f"{self.log_path.stem}.{Path(model).stem}{self.log_path.suffix}")
            worker = LocalBackend(replace(self.config, model_path=model, adapters=()), log_path=log)
            self._extra_workers[model] = worker
        return worker

    def worker_memory(self) -> tuple[WorkerMemory, ...]:
        """The resident memory of this backend's worker and of each extra worker it runs."""
        out = []
        for backend, extra in [(self, False), *((w, True) for w in self._extra_workers.values())]:
            process = backend._process
            if process is not None and process.is_alive():
                out.append(WorkerMemory(backend.config.model_path, process.pid, resident_bytes(process.pid), extra))
        return tuple(out)

    def release_extra_workers(self) -> None:
        """Stop the workers started for comparisons on other models (their memory is freed)."""
        workers, self._extra_workers = self._extra_workers, {}
        for worker in workers.values():
            worker.close()

    def choose(self, request: ChoiceRequest) -> ChoiceResult:
        return self._call(Command.CHOOSE, request)

    def score(self, request: ScoreRequest) -> ScoreResult:
        return self._call(Command.SCORE, request)

    def set_adapters(self, adapters: tuple[AdapterSpec, ...]) -> None:
        self._call(Command.SET_ADAPTERS, tuple(adapters))
        self.config = replace(self.config, adapters=tuple(adapters))

    def tokenize(self, text: str) -> list[int]:
        return self._call(Command.TOKENIZE, text)

    def cancel(self) -> None:
        self._cancel_through(self._last_generation_id)
        for worker in list(self._extra_workers.values()):
            worker.cancel()

    def _cancel_through(self, generation_id: int) -> None:
        with self._cancelled_through.get_lock():
            if self._cancelled_through.value < generation_id:
                self._cancelled_through.value = generation_id

    def close(self) -> None:
        """Stop the worker, within about CLOSE_S whatever it is doing; safe from any thread.

        An idle worker is asked to shut down. One busy with a request (a load, hashing a model, a
        long prompt, a generation, even one nobody is reading any more) reads no commands until
        that is done, so it is killed; the thread waiting on it gets EngineClosedError.
        """
        deadline = time.monotonic() + CLOSE_S
        self._closed = True
        self.cancel()
        self.release_extra_workers()
        process = self._process
        if not self._lock.acquire(timeout=_LOCK_WAIT_S):
            _stop(process, deadline)  # another thread's request holds the pipe
            return
        try:
            if self._alive() and not self._awaiting_reply:
                self._shut_down(deadline - _KILL_S)
            _stop(self._process, deadline)
            if self._conn is not None:
                self._conn.close()
            self._process = None
            self._conn = None
            self._info = None
            self._awaiting_reply = False
        finally:
            self._lock.release()

    def _shut_down(self, until: float) -> None:
        """Ask the idle worker to exit and wait for it until `until` (a monotonic time)."""
        try:
            self._conn.send(Request(Command.SHUTDOWN))
            while self._conn.poll(max(0.0, until - time.monotonic())):
                if not isinstance(self._conn.recv(), StepBatch):
                    break
        except (OSError, EOFError):
            pass
        self._process.join(max(0.0, until - time.monotonic()))

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- the test seam: for tests and benchmarks, not part of the Backend protocol ---------

    def logits(self, token_ids: list[int]) -> list[float]:
        """Raw last-position logits after `token_ids`."""
        return self._call(Command.LOGITS, list(token_ids))

    def crash_worker(self) -> None:
        """Make the worker abort (SIGABRT) inside a request, as llama.cpp does on some inputs."""
        self._call(Command.CRASH)

    def stall_worker(self, seconds: float) -> None:
        """Keep the worker busy for `seconds` without reading commands (a long native call)."""
        self._call(Command.STALL, seconds)

    def kill_worker(self, sig: int | None = None) -> None:
        """Kill the worker (SIGKILL, or signal `sig`); the caller then sees WorkerDiedError."""
        process = self._process
        if process is None:
            return
        if sig is None:
            process.kill()
        else:
            os.kill(process.pid, sig)


def _stop(process: Any, deadline: float) -> None:
    """Kill `process` if it still runs, and reap it by `deadline` if it dies by then."""
    if process is None:
        return
    if process.is_alive():
        process.kill()
    process.join(max(0.05, deadline - time.monotonic()))
