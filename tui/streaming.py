"""The hand-off between the generation thread and the UI: a buffer drained once per frame.

The engine yields one TokenStep at a time from a worker thread. Posting each one to the UI
(`call_from_thread` or a message per token) makes the generation wait on the event loop, so the
thread only appends to this buffer; the screen drains it on a ~30 Hz timer and renders the whole
batch at once. A generation that fails mid-stream leaves its steps in the stream; the job turns
them into a result marked failed, so the partial answer can be journaled.
"""

from __future__ import annotations

import threading
from collections import deque

from engine.backend import Backend, GenerationStream
from engine.types import AdapterSpec, GenerationRequest, GenerationResult, ModelInfo, TokenStep
from sessions.partial import failed_generation

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
        self.stream: GenerationStream | None = None
        # The model and adapters the generation ran with; a worker that dies forgets them.
        self.model: ModelInfo | None = None
        self.adapters: tuple[AdapterSpec, ...] = ()

    def cancel(self) -> None:
        self.cancelled.set()
        self.backend.cancel()

    def run(self) -> GenerationResult | None:
        """Blocking; call from a thread. Engine errors propagate to the worker's error state."""
        stream = self.stream = self.backend.generate(self.request)
        self.model, self.adapters = self.backend.info, self.backend.config.adapters
        for step in stream:
            self.buffer.push(step)
            if self.cancelled.is_set():
                # A cancel that landed before the engine started this generation was cleared
                # by it; asking again stops it before the next token and keeps the result.
                self.backend.cancel()
        return stream.result

    def failed_result(self) -> GenerationResult | None:
        """After `run` raised: the steps decided before the error as a result whose finish reason
        is "error"; None if it failed before its first token (or before the model was known)."""
        if self.stream is None or not self.stream.steps or self.model is None:
            return None
        return failed_generation(self.request, self.stream.steps, self.model, self.adapters)
