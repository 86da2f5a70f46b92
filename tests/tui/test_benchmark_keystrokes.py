"""benchmarks/tui_throughput.py presses keys during short generations too (issue 14: at GPU speed
200 tokens took 0.3 s and it sent no keystroke at all). Its rounds run here on the fake backend,
paced like a fast GPU: every round must measure keystrokes, and the engine side replays the same
request."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from fake_backend import FakeBackend

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import tui_throughput  # noqa: E402


class PacedStream:
    """A fake generation that takes `delay` seconds per token, as a real decode does."""

    def __init__(self, stream, delay: float) -> None:
        self._stream, self._delay = stream, delay

    def __iter__(self):
        for step in self._stream:
            time.sleep(self._delay)
            yield step

    def __getattr__(self, name):
        return getattr(self._stream, name)


class PacedBackend(FakeBackend):
    def generate(self, request):
        return PacedStream(super().generate(request), 0.01)


async def test_every_short_generation_gets_keystrokes_measured():
    backend = PacedBackend([[" the", " sky"] * 15])  # 30 tokens at 10 ms: a 0.3 s answer
    rounds, engine = await tui_throughput.tui_rounds(backend, tokens=30, generations=3, key_interval_s=0.02)
    assert [len(r.latencies_ms) >= 1 for r in rounds] == [True, True, True]
    assert all(r.span()[0] >= 1 for r in rounds)  # tokens counted from the first frame on
    assert [n for n, _ in engine] == [30, 30, 30]  # 30 tokens and the end, first one not timed
    prompts = {request.messages for request in backend.requests}
    assert len(prompts) == 1  # a new conversation each round: the same request every time
