"""The compare screen's inspector: every configuration's distribution at the cursor, aligned by token.

One row per token id in any lane's top-k (and each lane's chosen token), one column per lane with
that lane's probability of the token ("·" when it is not in that lane's top-k), most likely first;
a lane's chosen token is marked ●. The header names the position, each lane's chosen token, and
every pair's JS and KL there, "≈"-marked (and a legend line) when the lanes' steps are a remote
engine's top-k + rest (engine/remote/compare.py: approximate pairs). Rows come from
LiveComparison.aligned (tui/compare_model.py).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from engine.types import TokenAlternative
from sessions.distribution_marks import APPROXIMATE, COMPARE_LEGEND
from sessions.distribution_marks import approximate as is_approximate

from ..compare_model import LiveComparison
from .inspector import token_repr


def cell(prob: float | None, chosen: bool) -> Text:
    if prob is None:
        return Text("·", style="dim", justify="right")
    return Text(f"{'● ' if chosen else ''}{prob:6.1%}", style="bold green" if chosen else "", justify="right")


class CompareInspector(Vertical):
    DEFAULT_CSS = """
    CompareInspector { height: 1fr; }
    CompareInspector > Static { height: auto; }
    CompareInspector > DataTable { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shape: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static("", id="compare-inspector-header")
        yield DataTable(id="compare-inspector-table", cursor_type="none", zebra_stripes=True)

    def show(self, comparison: LiveComparison, position: int | None) -> None:
        header = self.query_one("#compare-inspector-header", Static)
        table = self.query_one(DataTable)
        if self._shape != comparison.names:
            table.clear(columns=True)
            table.add_column("token", key="token")
            for n, name in enumerate(comparison.names):
                table.add_column(Text(name), key=f"lane-{n}")
            self._shape = comparison.names
        table.clear()
        if position is None or not 0 <= position < comparison.positions:
            header.update(Content("No position yet."))
            return
        step = comparison.steps[position]
        chosen = [f"{name} {token_repr(_alt(s))!r}" if (s := comparison.step(n, position)) is not None
                  else f"{name} ended" for n, name in enumerate(comparison.names)]
        approximate = any(s is not None and is_approximate(s) for s in step.steps)
        mark = APPROXIMATE if approximate else ""
        pairs = [f"{comparison.names[p.a]}/{comparison.names[p.b]} JS {mark}{p.js:.3f} "
                 f"KL {mark}{p.kl_ab:.3f}/{mark}{p.kl_ba:.3f}" + (" differ" if p.differ else "") for p in step.pairs]
        lines = [Content.styled(f"position {position}", "bold"), Content("chosen: " + ", ".join(chosen)),
                 Content(" · ".join(pairs) or "one lane only")]
        if approximate:
            lines.append(Content.styled(COMPARE_LEGEND, "dim"))
        header.update(Content("\n").join(lines))
        for row in comparison.aligned(position):
            token = Text(token_repr(TokenAlternative(row.id, row.text, 0.0, row.piece))[:14])
            table.add_row(token, *(cell(p, c) for p, c in zip(row.probs, row.chosen, strict=True)),
                          key=str(row.id))


def _alt(step) -> TokenAlternative:
    return TokenAlternative(step.id, step.text, step.logprob, step.piece)
