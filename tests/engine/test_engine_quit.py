"""Quitting never hangs: close() returns within about 2 s whatever the worker is doing."""

from __future__ import annotations

import threading
import time

import pytest

from engine import LocalBackend, WorkerDiedError
from engine.errors import EngineClosedError
from engine.types import GenerationRequest, Message, ModelConfig, SamplingSettings

pytestmark = pytest.mark.model

QUIT_S = 2.5  # the promise is "about 2 s"; the margin absorbs a loaded test machine


def _close_in_background(backend: LocalBackend) -> tuple[threading.Thread, list[float]]:
    took: list[float] = []

    def close() -> None:
        started = time.monotonic()
        backend.close()
        took.append(time.monotonic() - started)

    thread = threading.Thread(target=close, daemon=True)
    thread.start()
    return thread, took


def test_close_during_a_long_generation_consumed_by_another_thread(default_model):
    backend = LocalBackend(ModelConfig(default_model, n_ctx=2048))
    backend.start()
    request = GenerationRequest((Message("user", "Write a very long story."),),
                                sampling=SamplingSettings(temperature=1.0, seed=5), max_tokens=100_000)
    first = threading.Event()
    outcome: list[object] = []

    def consume() -> None:
        stream = backend.generate(request)
        try:
            for _ in stream:
                first.set()
            outcome.append(stream.result.finish_reason)
        except WorkerDiedError as exc:
            outcome.append(exc)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    assert first.wait(30)
    closer, took = _close_in_background(backend)
    closer.join(QUIT_S + 30)
    consumer.join(10)
    assert took and took[0] < QUIT_S, f"close took {took}"
    # close() cancels first: the generation stops at its next token, or the worker is killed.
    assert outcome == ["cancelled"] or isinstance(outcome[0], EngineClosedError), outcome
    assert not backend._alive()


def test_close_while_the_worker_is_in_a_long_call_that_reads_no_commands(default_model):
    """A load, hashing a model, or a long prompt: the worker cannot answer a shutdown."""
    backend = LocalBackend(ModelConfig(default_model, n_ctx=512))
    backend.start()
    outcome: list[object] = []

    def stall() -> None:
        try:
            backend.stall_worker(60)
            outcome.append("finished")
        except WorkerDiedError as exc:
            outcome.append(exc)

    staller = threading.Thread(target=stall, daemon=True)
    staller.start()
    time.sleep(0.3)  # let the request reach the worker
    closer, took = _close_in_background(backend)
    closer.join(QUIT_S + 30)
    staller.join(10)
    assert took and took[0] < QUIT_S, f"close took {took}"
    assert len(outcome) == 1 and isinstance(outcome[0], EngineClosedError), outcome
    assert outcome[0].title == "Engine closed"


def test_close_with_a_stream_left_half_read_on_the_same_thread(default_model):
    backend = LocalBackend(ModelConfig(default_model, n_ctx=512))
    request = GenerationRequest((Message("user", "Count to a thousand."),),
                                sampling=SamplingSettings(temperature=0.0), max_tokens=400)
    stream = iter(backend.generate(request))
    next(stream)  # the generator now holds the backend's lock, suspended
    started = time.monotonic()
    backend.close()
    assert time.monotonic() - started < QUIT_S
    assert not backend._alive()
    with pytest.raises(EngineClosedError):
        list(stream)


def test_close_when_idle_lets_the_worker_exit_cleanly(default_model):
    backend = LocalBackend(ModelConfig(default_model, n_ctx=512))
    backend.start()
    process = backend._process
    backend.close()
    assert process.exitcode == 0  # shut down, not killed
    assert backend.start().n_vocab > 0  # and a closed backend can start again
    backend.close()


def test_a_closed_backend_stays_closed_until_started_again(default_model):
    """close() means closed: a request racing it (or coming after it) does not bring a new
    worker back behind the caller's back; start() or load() opens the backend again."""
    backend = LocalBackend(ModelConfig(default_model, n_ctx=512))
    backend.start()
    backend.close()
    with pytest.raises(EngineClosedError):
        backend.tokenize("hello")
    assert backend._process is None  # no worker was spawned for it
    assert backend.start().n_vocab > 0
    assert backend.tokenize("hello")
    backend.close()
