"""Entropy and chosen-token probability across the current answer, plus its distinct-token count.

Two sparklines make a collapse visible at a glance: entropy falling to zero and probability
pinned at one, with the distinct count shrinking as the answer loops on a few tokens.
"""

from __future__ import annotations

from statistics import fmean

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from engine.types import TokenStep


class AnswerPlot(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("entropy", classes="plot-label", id="entropy-label")
        yield Sparkline([], summary_function=fmean, id="entropy-line")
        yield Static("p(chosen)", classes="plot-label", id="prob-label")
        yield Sparkline([], summary_function=fmean, id="prob-line")
        yield Static("", id="distinct")

    _shown: tuple[int, int] = (-1, -1)

    def show(self, steps: list[TokenStep]) -> None:
        key = (id(steps), len(steps))
        if key == self._shown:
            return
        self._shown = key
        entropies = [s.entropy for s in steps]
        probs = [s.prob for s in steps]
        self.query_one("#entropy-line", Sparkline).data = entropies
        self.query_one("#prob-line", Sparkline).data = probs
        if steps:
            self.query_one("#entropy-label", Static).update(
                f"entropy  mean {fmean(entropies):.2f}  max {max(entropies):.2f} nats", layout=False)
            self.query_one("#prob-label", Static).update(
                f"p(chosen)  mean {fmean(probs):.2f}  min {min(probs):.2f}", layout=False)
        else:
            self.query_one("#entropy-label", Static).update("entropy", layout=False)
            self.query_one("#prob-label", Static).update("p(chosen)", layout=False)
        distinct = len({s.id for s in steps})
        self.query_one("#distinct", Static).update(f"distinct tokens {distinct} / {len(steps)}", layout=False)
