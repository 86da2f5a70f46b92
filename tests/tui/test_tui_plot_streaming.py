"""The answer plot follows the cursor while another answer streams: the streaming throttle only
skips redraws of the list it drew last, never the first draw of another turn's steps."""

from __future__ import annotations

from pilot_helpers import ask, settle, to_transcript
from textual.widgets import Sparkline, Static

from tui.widgets import plot
from tui.widgets.plot import AnswerPlot


class Clock:
    """time.monotonic for the plot, standing still unless a test moves it: every draw while the
    answer streams falls inside the throttle's window, whatever the machine's speed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def plotted(app) -> tuple[list[float], str]:
    """The entropy line's points and the distinct-token count (the fake backend's entropies
    depend only on the position, so the count tells the answers apart)."""
    answer_plot = app.screen.query_one(AnswerPlot)
    points = list(answer_plot.query_one("#entropy-line", Sparkline).data or [])
    return points, str(answer_plot.query_one("#distinct", Static).render())


def expected(steps) -> tuple[list[float], str]:
    return [s.entropy for s in steps], f"distinct tokens {len({s.id for s in steps})} / {len(steps)}"


async def test_moving_up_while_an_answer_streams_plots_the_earlier_turn(make_app, backend, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(plot, "time", clock)
    backend.script = [["Yes", ",", " the", " sky"], [" No"] * 40]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot, "first")
        first = app.chat.conversation.turns[0].answer.steps
        assert plotted(app) == expected(first)
        clock.now += 10  # the second answer's first draw is not throttled
        backend.hold_after = 5  # it streams 5 tokens, then waits (still streaming)
        app.screen.query_one("#message").focus()
        await pilot.press(*"second", "enter")
        assert backend.holding.wait(5)
        await pilot.pause(0.2)
        assert app.screen.job is not None
        second = app.chat.conversation.turns[1].answer.steps
        points, _ = plotted(app)
        assert points and plotted(app) == expected(second[:len(points)])
        await to_transcript(pilot)
        await pilot.press("up")  # to the first answer, within the throttle's 0.2 s
        await pilot.pause()
        assert app.screen.cursor[0] == 0
        assert plotted(app) == expected(first)
        backend.release.set()
        await settle(pilot)
