"""The worker protocol without a model: one handler per command, typed replies, errors that keep
their type and title across the pipe, and no step lost when a generation fails mid-stream."""

from __future__ import annotations

import pickle
import threading

import pytest

from engine.errors import ContextOverflowError, EngineError, RequestError, WorkerDiedError
from engine.local import LocalGeneration
from engine.types import GenerationRequest, Message, TokenStep
from engine.worker import HANDLERS, _stream
from engine.worker_protocol import TEST_SEAM, Command, Done, Failed, StepBatch


def step(i: int) -> TokenStep:
    return TokenStep(i, i, "x", b"x", -1.0, 1.0, 0, ())


class Pipe:
    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, message: object) -> None:
        self.sent.append(pickle.loads(pickle.dumps(message)))  # what the other end would get


def test_every_command_has_one_handler_and_the_test_seam_is_marked():
    assert set(HANDLERS) == set(Command)
    assert TEST_SEAM == {Command.LOGITS, Command.CRASH, Command.STALL}


def test_steps_decided_before_a_failure_are_sent_before_it():
    pipe = Pipe()

    def failing():
        for i in range(5):
            yield step(i)
        raise RuntimeError("llama_decode failed")

    with pytest.raises(RuntimeError):
        _stream(pipe, failing())
    assert all(isinstance(m, StepBatch) for m in pipe.sent)
    assert [s.i for m in pipe.sent for s in m.steps] == [0, 1, 2, 3, 4]


def test_a_finished_stream_sends_all_steps_then_returns_its_result():
    pipe = Pipe()
    assert _stream(pipe, iter([step(0), step(1), step(2), "result"])) == "result"
    assert [s.i for m in pipe.sent for s in m.steps] == [0, 1, 2]


def test_errors_keep_their_type_title_and_details_across_the_pipe():
    original = RequestError("No model is loaded.", title="Nothing loaded", details="log tail")
    error = pickle.loads(pickle.dumps(Failed.of(original))).error()
    assert type(error) is RequestError
    assert (error.msg, error.title, error.details) == ("No model is loaded.", "Nothing loaded", "log tail")
    assert pickle.loads(pickle.dumps(Failed.of(ContextOverflowError("long")))).error().title == \
        "Prompt longer than the context"
    try:
        {}["missing"]
    except KeyError as exc:
        wrapped = Failed.of(exc).error()
    assert type(wrapped) is EngineError and wrapped.msg.startswith("KeyError")
    assert "Traceback" in wrapped.details


class ScriptedBackend:
    """Just what LocalGeneration uses of LocalBackend, replying from a script."""

    def __init__(self, replies: list[object]) -> None:
        self._lock = threading.RLock()
        self._replies = replies
        self._phase = "first decode"

    def _send(self, request: object) -> None:
        self.request = request

    def _receive(self) -> object:
        reply = self._replies.pop(0)
        if isinstance(reply, Failed):
            raise reply.error()
        return reply

    def _cancel_through(self, generation_id: int) -> None:
        pass


def test_the_caller_keeps_every_step_received_before_the_error():
    backend = ScriptedBackend([StepBatch((step(0),)), StepBatch((step(1), step(2))),
                               Failed.of(WorkerDiedError("killed by SIGKILL"))])
    stream = LocalGeneration(backend, GenerationRequest((Message("user", "hi"),)), 1)
    seen = []
    with pytest.raises(WorkerDiedError):
        for s in stream:
            seen.append(s.i)
    assert seen == [0, 1, 2] and [s.i for s in stream.steps] == [0, 1, 2]
    assert stream.result is None
    assert backend.request.command is Command.GENERATE


def test_a_finished_generation_has_its_result_and_steps():
    backend = ScriptedBackend([StepBatch((step(0), step(1))), Done("result")])
    stream = LocalGeneration(backend, GenerationRequest((Message("user", "hi"),)), 1)
    assert [s.i for s in stream] == [0, 1]
    assert stream.result == "result" and len(stream.steps) == 2
