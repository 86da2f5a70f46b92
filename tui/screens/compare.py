"""Side-by-side comparison of two sessions: where the two configurations' beliefs part.

The turns are paired like `logitscope session compare` (by origin when one session re-runs the
other, else by position). For the pair on screen the two answers sit side by side, each token
tinted by the Jensen-Shannon divergence between the two distributions at its position, the first
divergence underlined; the table below lists every position (tokens, probabilities, KL both ways,
JS, shared top-k). Up/down walks the positions, [ and ] the turn pairs, f jumps to the first
divergence. When the pair's numbers came from different backends or settings (flash attention,
KV cache type, micro-batch), the summary says so in a warning line (sessions/runtime_diff.py):
that part of the divergence is not the configurations'. The comparison itself runs in a thread
(it decodes every turn of both sessions) that posts a ComparisonReady message back.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from sessions import Session, SessionError
from sessions.compare import SessionComparison, TurnComparison, compare_sessions

from ..messages import ComparisonReady
from .text_modal import ErrorModal


def js_style(js: float, here: bool, first: bool) -> str:
    level = min(1.0, js / math.log(2))
    style = f"on rgb({int(40 + 180 * level)},{int(40 + 40 * (1 - level))},40)" if level > 0.02 else ""
    if first:
        style += " underline bold"
    return style + " reverse" if here else style


class CompareScreen(Screen):
    DEFAULT_CSS = """
    #compare-runtime { height: auto; padding: 0 1; background: $boost; color: $text-warning;
                       text-style: bold; display: none; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Back", id="compare_close"),
        Binding("right_square_bracket", "pair(1)", "Next turn", id="compare_next"),
        Binding("left_square_bracket", "pair(-1)", "Previous turn", id="compare_prev"),
        Binding("f", "first", "First divergence", id="compare_first"),
    ]

    def __init__(self, a: Session, b: Session) -> None:
        super().__init__()
        self.a, self.b = a, b
        self.result: SessionComparison | None = None
        self.pair = 0

    def compose(self) -> ComposeResult:
        yield Static(Content(f" comparing {self.a.name} (A) with {self.b.name} (B)…"), id="compare-summary")
        yield Static("", id="compare-runtime")  # shown when the pair's numbers' origins differ
        with Horizontal(id="compare-answers"):
            with VerticalScroll(id="compare-a", classes="compare-side"):
                yield Static("", id="compare-a-text")
            with VerticalScroll(id="compare-b", classes="compare-side"):
                yield Static("", id="compare-b-text")
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#compare-a").border_title = Content(f"A · {self.a.name}")
        self.query_one("#compare-b").border_title = Content(f"B · {self.b.name}")
        self.query_one(DataTable).add_columns("#", "A token", "p(A)", "B token", "p(B)",
                                              "KL(A‖B)", "KL(B‖A)", "JS", "shared")
        self.query_one(DataTable).focus()
        self.run_compare()

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare")
    def run_compare(self) -> None:
        try:
            comparison = compare_sessions(self.a, self.b)
        except Exception as exc:
            self.post_message(ComparisonReady(error=exc))
        else:
            self.post_message(ComparisonReady(comparison))

    def on_comparison_ready(self, event: ComparisonReady) -> None:
        if event.comparison is not None:
            self.result = event.comparison
            self.show_pair(0)
        elif isinstance(event.error, (SessionError, OSError, ValueError)):
            self.notify(getattr(event.error, "msg", None) or str(event.error), title="Compare",
                        severity="error", markup=False)
        elif event.error is not None:
            self.app.push_screen(ErrorModal.from_error(event.error))

    @property
    def current(self) -> TurnComparison | None:
        turns = self.result.turns if self.result else ()
        return turns[self.pair] if 0 <= self.pair < len(turns) else None

    def show_pair(self, index: int) -> None:
        assert self.result is not None
        self.pair = max(0, min(index, len(self.result.turns) - 1))
        r, tc = self.result, self.current
        summary = f" A {r.a} vs B {r.b} · paired by {r.paired_by} · {len(r.turns)} pairs"
        summary += f" ({r.unpaired} unpaired)" if r.unpaired else ""
        if tc is not None:
            first = "none" if tc.first_divergence is None else f"token {tc.first_divergence}"
            summary += (f"\n pair {self.pair + 1}/{len(r.turns)} · first divergence {first} · mean JS "
                        f"{tc.mean_js:.3f} · max JS {tc.max_js:.3f} at {tc.max_js_position} · "
                        f"{tc.length_a} vs {tc.length_b} tokens" + ("" if tc.same_prompt else " · prompts differ"))
        self.query_one("#compare-summary", Static).update(Content(summary))
        note = tc.runtime_note if tc is not None else ""
        runtime = self.query_one("#compare-runtime", Static)
        runtime.update(Content(f"⚠ {note}"))
        runtime.display = bool(note)
        table = self.query_one(DataTable)
        table.clear()
        for p in tc.positions if tc else ():
            cells = (str(p.i), repr(p.a_text)[1:-1], f"{p.a_prob:.3f}", repr(p.b_text)[1:-1],
                     f"{p.b_prob:.3f}", f"{p.kl_ab:.3f}", f"{p.kl_ba:.3f}", f"{p.js:.3f}", str(p.shared))
            table.add_row(*(Text(cell) for cell in cells))  # a str cell would be parsed as markup
        self.render_answers(0)

    def render_answers(self, cursor: int | None) -> None:
        tc = self.current
        if tc is None:
            return
        js = {p.i: p.js for p in tc.positions}
        for side, session, turn_id in (("a", self.a, tc.a_turn), ("b", self.b, tc.b_turn)):
            turn = session.turn(turn_id)
            text = Text()
            text.append(f"{turn.prompt}\n\n", style="bold")
            for step in turn.steps:
                if step.i not in js:  # past the end of the other answer: nothing to compare with
                    text.append(step.text or "·", style="dim")
                    continue
                text.append(step.text or "·", style=js_style(js[step.i], step.i == cursor,
                                                             step.i == tc.first_divergence))
            self.query_one(f"#compare-{side}-text", Static).update(text)

    @on(DataTable.RowHighlighted, "#compare-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        tc = self.current
        if tc is not None and 0 <= event.cursor_row < len(tc.positions):
            self.render_answers(tc.positions[event.cursor_row].i)

    def action_pair(self, delta: int) -> None:
        if self.result is not None and self.result.turns:
            self.show_pair(self.pair + delta)

    def action_first(self) -> None:
        tc = self.current
        if tc is not None and tc.first_divergence is not None and tc.first_divergence < len(tc.positions):
            self.query_one(DataTable).move_cursor(row=tc.first_divergence)

    def action_close(self) -> None:
        self.dismiss()
