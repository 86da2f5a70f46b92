"""A one-line progress bar with an ETA on stderr, for long CLI runs (`battery run`).

Why its own module: the runner reports (done, total) and knows nothing about terminals; this
draws `[#####.....] 12/40  30%  ETA 0:01:23` in place (carriage return), at most a few times a
second, and ends the line when the work is done or stopped.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressBar:
    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30, interval_s: float = 0.2) -> None:
        self.label, self.width, self.interval_s = label, width, interval_s
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self.last_drawn = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last_drawn < self.interval_s:
            return
        self.last_drawn = now
        elapsed = now - self.started
        fraction = done / total if total else 1.0
        filled = round(fraction * self.width)
        eta = _clock(elapsed / done * (total - done)) if done else "?"
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} "
                          f"{fraction:4.0%}  elapsed {_clock(elapsed)}  ETA {eta} ")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
