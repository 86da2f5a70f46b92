"""Entropy and chosen-token probability across the current answer, plus its distinct-token count.

Two sparklines make a collapse visible at a glance: entropy falling to zero and probability
pinned at one, with the distinct count shrinking as the answer loops on a few tokens. The plot
is the costliest widget to draw, so while an answer streams it redraws at most 5 times a second.
An answer from a remote engine's top-k (steps "top-k+rest") has its entropy numbers marked "≥"
(lower bounds) and the label says over what; p(chosen) is exact either way.
"""

from __future__ import annotations

import time
from statistics import fmean

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from engine.types import TokenStep
from sessions.distribution_marks import BOUND, any_approximate

STREAMING_INTERVAL_S = 0.2


class AnswerPlot(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("entropy", classes="plot-label", id="entropy-label")
        yield Sparkline([], summary_function=fmean, id="entropy-line")
        yield Static("p(chosen)", classes="plot-label", id="prob-label")
        yield Sparkline([], summary_function=fmean, id="prob-line")
        yield Static("", id="distinct")

    _shown: tuple[int, int] = (-1, -1)
    _drawn_at: float = 0.0

    def show(self, steps: list[TokenStep], streaming: bool = False) -> None:
        """Plot `steps`; while `streaming`, skip a redraw of the same list (grown since) that comes
        too soon after the last; another list (the cursor moved to another turn) is drawn at once."""
        key = (id(steps), len(steps))
        now = time.monotonic()
        if key == self._shown or (streaming and key[0] == self._shown[0]
                                  and now - self._drawn_at < STREAMING_INTERVAL_S):
            return
        self._shown, self._drawn_at = key, now
        entropies = [s.entropy for s in steps]
        probs = [s.prob for s in steps]
        self.query_one("#entropy-line", Sparkline).data = entropies
        self.query_one("#prob-line", Sparkline).data = probs
        if steps:
            self.query_one("#entropy-label", Static).update(entropy_label(steps, entropies), layout=False)
            self.query_one("#prob-label", Static).update(
                f"p(chosen)  mean {fmean(probs):.2f}  min {min(probs):.2f}", layout=False)
        else:
            self.query_one("#entropy-label", Static).update("entropy", layout=False)
            self.query_one("#prob-label", Static).update("p(chosen)", layout=False)
        distinct = len({s.id for s in steps})
        self.query_one("#distinct", Static).update(f"distinct tokens {distinct} / {len(steps)}", layout=False)


def entropy_label(steps: list[TokenStep], entropies: list[float]) -> str:
    """`entropy  mean 1.20  max 2.31 nats`; `mean ≥1.20  max ≥2.31` when any step is top-k + rest
    (a bound among exact values still makes the mean a bound; the sidebar is 38 columns wide)."""
    if any_approximate(steps):
        return f"entropy  mean {BOUND}{fmean(entropies):.2f}  max {BOUND}{max(entropies):.2f} nats"
    return f"entropy  mean {fmean(entropies):.2f}  max {max(entropies):.2f} nats"
