"""StepBuffer and StreamJob: thread hand-off without per-token UI calls, and cancel semantics."""

import threading

from fake_backend import FakeBackend, make_step

from engine.types import GenerationRequest, Message
from tui.streaming import StepBuffer, StreamJob


def test_buffer_drains_everything_pushed_since_the_last_drain():
    buffer = StepBuffer()
    for n in range(5):
        buffer.push(make_step(n, "Yes"))
    assert [s.i for s in buffer.drain()] == [0, 1, 2, 3, 4]
    assert buffer.drain() == [] and buffer.produced == 5


def test_cancel_before_the_engine_starts_still_stops_the_generation():
    backend = FakeBackend(script=[["Yes"] * 50])
    backend.hold_after = 3
    job = StreamJob(backend, GenerationRequest((Message("user", "q"),)))
    thread = threading.Thread(target=lambda: setattr(job, "out", job.run()))
    thread.start()
    assert backend.holding.wait(5)
    job.cancel()
    thread.join(5)
    assert job.out.finish_reason == "cancelled"
    assert len(job.buffer.drain()) == 3
