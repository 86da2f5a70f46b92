"""The forced-choice table: one row per option, three columns per configuration compared.

Per configuration: the probability normalised over the options offered (a bar and a percentage),
the raw probability of the complete answer, and the option's rank among the options (1 = most
likely). The last row is each configuration's mass: how much of the model's probability the
options cover together (at most 1 for complete answers), the number that says whether the
normalised column means anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from ..choice_model import ScoredConfiguration

BAR_WIDTH = 10
_EIGHTHS = " ▏▎▍▌▋▊▉"


def prob_bar(p: float, width: int = BAR_WIDTH) -> str:
    """`p` in [0, 1] as a bar of `width` cells, to an eighth of a cell."""
    eighths = round(max(0.0, min(1.0, p)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def raw_text(p: float) -> str:
    """A raw probability readable at any size: fixed point down to 0.0001, then scientific."""
    return f"{p:.4f}" if p >= 1e-4 else f"{p:.1e}"


class ChoiceTable(DataTable):
    """Filled by `show`; empty until the first scoring."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="none", zebra_stripes=True, **kwargs)

    def show(self, scored: Sequence[ScoredConfiguration]) -> None:
        self.clear(columns=True)
        if not scored:
            return
        self.add_column("option", key="option")
        for n, s in enumerate(scored):
            self.add_column(Text(f"{s.config.label}: P", style="bold"), key=f"p{n}")
            self.add_column("raw", key=f"raw{n}")
            self.add_column("rank", key=f"rank{n}")
        first = scored[0].result.options
        for i, option in enumerate(first):
            cells: list[Text | str] = [Text(option.text)]
            for s in scored:
                score, rank = s.result.options[i], s.ranks[i]
                style = "bold green" if rank == 1 else ""
                cells += [Text.assemble((prob_bar(score.prob), "green"), f" {score.prob:6.1%}"),
                          Text(raw_text(score.raw_prob), justify="right"),
                          Text(f"#{rank}", style=style, justify="right")]
            self.add_row(*cells, key=f"option-{i}")
        mass: list[Text | str] = [Text("mass (all)", style="italic")]
        for s in scored:
            mass += [Text(f"{s.result.mass:.4f}", style="italic", justify="right"), "", ""]
        self.add_row(*mass, key="mass")
