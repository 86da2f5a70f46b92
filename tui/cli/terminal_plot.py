"""A line plot drawn with unicode characters, for commands that print a curve (`logitscope sweep`).

Why its own module: the CLI prints to a plain terminal or a pipe, where no charting library (and
no new dependency) is wanted. Lines are drawn in braille dots (2 x 4 per character cell), each
data point gets its series' marker, the axes carry tick labels, and the whole plot, legend
included, fits the width given (80 columns by default). Pure functions of the numbers: no colour,
no terminal queries, so the output is the same on a terminal, in a pipe and in a test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MARKERS = "●■▲◆✚✖○□△◇"
_BRAILLE = 0x2800
# The bit of each dot in a braille cell, indexed [row][column] (Unicode's dot numbering).
_DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


@dataclass(frozen=True)
class Series:
    """One named curve: a y value (None = no value, e.g. a -inf log-probability) per x."""

    name: str
    ys: tuple[float | None, ...]


def _auto_range(series: Sequence[Series]) -> tuple[float, float]:
    values = [y for s in series for y in s.ys if y is not None and math.isfinite(y)]
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    if high - low < 1e-12:
        return low - 0.5, high + 0.5
    pad = (high - low) * 0.05
    return low - pad, high + pad


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round values (1, 2, 2.5 or 5 times a power of ten apart) within [low, high]."""
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    return [round(k * step, 12) for k in range(first, math.floor(high / step + 1e-9) + 1)]


def _label(value: float) -> str:
    text = f"{value:.4g}"
    return "0" if text == "-0" else text


class _Canvas:
    """Braille dots and per-cell markers on a grid of `columns` x `rows` character cells."""

    def __init__(self, columns: int, rows: int) -> None:
        self.columns, self.rows = columns, rows
        self.bits = [[0] * columns for _ in range(rows)]
        self.marks: dict[tuple[int, int], str] = {}

    def dot(self, x: int, y: int) -> None:
        if 0 <= x < 2 * self.columns and 0 <= y < 4 * self.rows:
            self.bits[y // 4][x // 2] |= _DOT_BITS[y % 4][x % 2]

    def line(self, x0: int, y0: int, x1: int, y1: int) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            self.dot(round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps))

    def mark(self, x: int, y: int, glyph: str) -> None:
        self.marks[(y // 4, x // 2)] = glyph

    def row(self, r: int) -> str:
        return "".join(self.marks.get((r, c)) or (chr(_BRAILLE + b) if b else " ")
                       for c, b in enumerate(self.bits[r]))


def _x_axis(xs: Sequence[float], columns_of: Sequence[int], columns: int) -> tuple[str, str]:
    """The axis line with a tick under each labelled x, and the labels (no two overlapping)."""
    labels = [" "] * (columns + 8)
    ticks = ["─"] * columns
    free_from = 0  # the first column a next label may use (one blank after the previous one)
    for i in sorted(range(len(xs)), key=lambda i: columns_of[i]):
        text = _label(xs[i])
        start = max(0, columns_of[i] - (len(text) - 1) // 2)
        if start < free_from:
            continue
        labels[start:start + len(text)] = text
        ticks[columns_of[i]] = "┬"
        free_from = start + len(text) + 1
    return "".join(ticks), "".join(labels).rstrip()


def line_plot(xs: Sequence[float], series: Sequence[Series], *, y_range: tuple[float, float] | None = None,
              width: int = 80, height: int = 12, y_title: str = "", x_title: str = "") -> list[str]:
    """The plot as lines of text, none wider than `width`: y axis, curves, x axis, legend.

    `xs` must be increasing; each series has one y per x. `y_range` fixes the y axis (e.g. 0-1
    for probabilities); values outside it are clipped to the border.
    """
    if any(len(s.ys) != len(xs) for s in series):
        raise ValueError("every series needs one y value per x")
    if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
        raise ValueError("xs must be strictly increasing")
    low, high = y_range or _auto_range(series)
    y_ticks = _ticks(low, high)
    gutter = max((len(_label(t)) for t in y_ticks), default=1) + 1
    columns = max(width - gutter - 1 - 4, 8)  # room for the last x label to stick out
    canvas = _Canvas(columns, height)
    x_low, x_high = (xs[0], xs[-1]) if len(xs) > 1 else (xs[0] - 1, xs[0] + 1)

    def dot_x(x: float) -> int:
        return round((x - x_low) / (x_high - x_low) * (2 * columns - 1))

    def dot_y(y: float) -> int:
        clipped = min(max(y, low), high)
        return round((high - clipped) / (high - low) * (4 * height - 1))

    for s in series:
        points = [(dot_x(x), dot_y(y)) if y is not None and math.isfinite(y) else None
                  for x, y in zip(xs, s.ys, strict=True)]
        for a, b in zip(points, points[1:], strict=False):
            if a and b:
                canvas.line(*a, *b)
    for n, s in enumerate(series):
        for x, y in zip(xs, s.ys, strict=True):
            if y is not None and math.isfinite(y):
                canvas.mark(dot_x(x), dot_y(y), MARKERS[n % len(MARKERS)])

    tick_rows = {dot_y(t) // 4: t for t in y_ticks}
    lines = [y_title] if y_title else []
    for r in range(height):
        label = _label(tick_rows[r]) if r in tick_rows else ""
        lines.append(f"{label:>{gutter - 1}} {'┤' if r in tick_rows else '│'}{canvas.row(r)}".rstrip())
    axis, labels = _x_axis(xs, [dot_x(x) // 2 for x in xs], columns)
    lines.append(" " * (gutter - 1) + " └" + axis)
    lines.append(" " * (gutter + 1) + labels)
    if x_title:
        lines.append(f"{x_title:>{gutter + 1 + columns}}")
    lines.extend(_legend(series, width))
    return [line[:width] for line in lines]


def _legend(series: Sequence[Series], width: int) -> list[str]:
    entries = [f"{MARKERS[n % len(MARKERS)]} {s.name}" for n, s in enumerate(series)]
    lines, current = [], ""
    for entry in entries:
        entry = entry if len(entry) <= width else entry[:width - 1] + "…"
        if current and len(current) + 3 + len(entry) > width:
            lines.append(current)
            current = ""
        current = f"{current}   {entry}" if current else entry
    return [*lines, current] if current else lines
