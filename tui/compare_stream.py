"""One live comparison between its thread and the UI: a buffer of positions drained once per frame.

The compare screen runs `Backend.compare` in a thread worker; posting each CompareStep to the UI
would make the decoding wait on the event loop, so the thread only appends to this job's buffer
and the screen drains it on a ~30 Hz timer (as the chat does, tui/streaming.py). Cancelling asks
the backend to stop before the next position; the comparison then ends with what it decided
(its lanes' finish reason "cancelled"), which is journaled like a finished one.
"""

from __future__ import annotations

import threading
from collections import deque

from engine.backend import Backend, CompareStream
from engine.compare import CompareRequest, CompareResult, CompareStep


class CompareJob:
    """Thread-safe: the worker pushes positions, the UI takes every one that arrived since last time."""

    def __init__(self, backend: Backend, request: CompareRequest) -> None:
        self.backend, self.request = backend, request
        self._steps: deque[CompareStep] = deque()
        self.cancelled = threading.Event()
        self.stream: CompareStream | None = None

    def cancel(self) -> None:
        self.cancelled.set()
        self.backend.cancel()

    def drain(self) -> list[CompareStep]:
        out: list[CompareStep] = []
        while True:
            try:
                out.append(self._steps.popleft())
            except IndexError:
                return out

    def run(self) -> CompareResult | None:
        """Blocking; call from a thread. Engine errors propagate (the stream keeps what came before)."""
        stream = self.stream = self.backend.compare(self.request)
        for step in stream:
            self._steps.append(step)  # deque.append is atomic
            if self.cancelled.is_set():
                self.backend.cancel()  # a cancel that landed before the comparison started
        return stream.result
