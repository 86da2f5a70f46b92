"""The battery results table: one row per question x measure x configuration, a bar with its 95%
interval, the mean, the interval in numbers and n.

The bar is drawn on the row's axis (battery_model.ChartRow): the mean as a filled bar, the
interval in yellow over it (bar cells inside the interval) and beyond it (a line to the high
end), so a wide interval is visible at a glance. A row with one record (n = 1) has no interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from ..battery_model import ChartRow

BAR_WIDTH = 18
LABEL_CHARS = 30  # a longer "question · measure" (an option's whole text) is cut; Enter shows it all


def interval_bar(mean: float, low: float | None, high: float | None, axis_max: float,
                 width: int = BAR_WIDTH) -> Text:
    """`mean` on [0, axis_max] as `width` cells, with [low, high] marked."""
    text = Text()
    if not math.isfinite(mean) or axis_max <= 0:
        return Text("n/a".ljust(width), style="dim")
    for cell in range(width):
        centre = (cell + 0.5) / width * axis_max
        inside = low is not None and high is not None and low <= centre <= high
        if centre < mean:
            text.append("█", style="yellow" if inside else "green")
        else:
            text.append("─" if inside else " ", style="yellow")
    return text


def _number(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.3f}"


class BatteryTable(DataTable):
    """Filled by `show`; row keys are the chart rows' indices (`chart_row` reads one back)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rows_shown: list[ChartRow] = []

    def show(self, rows: Sequence[ChartRow]) -> None:
        self.clear(columns=True)
        self.rows_shown = list(rows)
        if not rows:
            return
        for key, label in (("measure", "question · measure"), ("configuration", "configuration"),
                           ("bar", "bar (yellow: 95%)"), ("mean", "mean"), ("ci", "95% CI"), ("n", "n")):
            self.add_column(label, key=key)
        for n, chart in enumerate(rows):
            e = chart.row.estimate
            interval = f"{_number(e.low)}–{_number(e.high)}" if e.low is not None else "(n = 1)"
            label = chart.label if len(chart.label) <= LABEL_CHARS else chart.label[:LABEL_CHARS - 1] + "…"
            self.add_row(Text(label), Text(chart.row.configuration),
                         interval_bar(e.mean, e.low, e.high, chart.axis_max),
                         Text(_number(e.mean), justify="right"), Text(interval), Text(str(e.n), justify="right"),
                         key=str(n))

    def chart_row(self) -> ChartRow | None:
        """The row under the cursor."""
        if not self.rows_shown or self.cursor_row < 0 or self.cursor_row >= len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row]
