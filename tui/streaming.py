"""The hand-off between the generation thread and the UI: a buffer drained once per frame.

The engine yields one TokenStep at a time from a worker thread. Posting each one to the UI
(`call_from_thread` or a message per token) makes the generation wait on the event loop, so the
thread only appends to this buffer; the screen drains it on a ~30 Hz timer and renders the whole
batch at once.
"""

from __future__ import annotations

import threading
from collections import deque

from engine.backend import Backend
from engine.types import GenerationRequest, GenerationResult, TokenStep

FRAME_S = 1 / 30


class StepBuffer:
    """Thread-safe: the producer appends, the UI takes everything that arrived since last time."""

    def __init__(self) -> None:
        self._steps: deque[TokenStep] = deque()
        self.produced = 0

    def push(self, step: TokenStep) -> None:
        self._steps.append(step)  # deque.append is atomic
        self.produced += 1

    def drain(self) -> list[TokenStep]:
        out: list[TokenStep] = []
        while True:
            try:
                out.append(self._steps.popleft())
            except IndexError:
                return out


class StreamJob:
    """One generation: runs in a worker thread, fills a StepBuffer, can be cancelled from the UI."""

    def __init__(self, backend: Backend, request: GenerationRequest) -> None:
        self.backend = backend
        self.request = request
        self.buffer = StepBuffer()
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()
        self.backend.cancel()

    def run(self) -> GenerationResult | None:
        """Blocking; call from a thread. Engine errors propagate to the worker's error state."""
        stream = self.backend.generate(self.request)
        for step in stream:
            self.buffer.push(step)
            if self.cancelled.is_set():
                # A cancel that landed before the engine started this generation was cleared
                # by it; asking again stops it before the next token and keeps the result.
                self.backend.cancel()
        return stream.result
