"""report.html's per-position line charts for a `trace` question (vocabulary collapse).

Why its own module: a trace question's bar (the mean top-1 mass over the answer) hides what the
readout is for, which is how the next-token distribution moves along the answer: a collapse
onto "yes" is entropy near 0 and top-1 mass near 1 from the first token on, a healthy answer
wanders. So each trace question also gets two small inline SVG line charts, entropy per
position and top-1 mass per position, with one line per configuration (the report's colours):
at each position, the mean over the question's records of that configuration (replicas pooled,
as in summary.csv) whose answer reaches it. Null values (non-finite, as results.jsonl writes
them) are left out of a mean; a position with none has no point. No scripts: each point's
exact value is its `<title>` (a browser's tooltip).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from engine.types import DISTRIBUTION_FULL

from ..distribution_marks import BOUND, LEGEND

MEASURES = (("entropy", "entropy per position (nats)"), ("top1_mass", "top-1 mass per position"))
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 360, 180, 40, 12, 24, 40


def position_means(records: Sequence[dict[str, Any]], question: str, field: str) -> dict[str, list[float]]:
    """Configuration (replica group) -> the mean of `field` at each position (NaN where no record
    of it has a finite value there), over the question's records."""
    columns: dict[str, list[list[float]]] = {}
    for record in records:
        if record.get("question") != question or not isinstance(record.get(field), list):
            continue
        per = columns.setdefault(record["configuration"]["group"], [])
        values = record[field]
        per.extend([] for _ in range(len(values) - len(per)))
        for i, value in enumerate(values):
            if value is not None and math.isfinite(value):
                per[i].append(float(value))
    return {name: [math.fsum(c) / len(c) if c else math.nan for c in per] for name, per in columns.items()}


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _x_ticks(n: int) -> list[int]:
    step = max(1, math.ceil((n - 1) / 6))
    return list(range(0, n, step))


def line_chart(series: dict[str, list[float]], configurations: Sequence[str], colours: Sequence[str],
               title: str, top: float) -> str:
    """An SVG line chart of `series` (one line per configuration, in `configurations`' colours):
    x the position in the answer, y from 0 to `top`."""
    n = max((len(v) for v in series.values()), default=0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    x = lambda i: LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)  # noqa: E731
    y = lambda v: TOP + plot_h * (1 - min(max(v, 0.0), top) / top)  # noqa: E731
    parts = [f'<svg class="trace" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{html.escape(title)}"><text x="{LEFT}" y="14" font-size="12">{html.escape(title)}</text>']
    for tick in (0.0, top / 4, top / 2, 3 * top / 4, top):
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 4}" y="{y(tick) + 4:.1f}" font-size="10" text-anchor="end">{_fmt(tick)}</text>')
    for i in _x_ticks(n):
        parts.append(f'<text x="{x(i):.1f}" y="{TOP + plot_h + 14}" font-size="10" text-anchor="middle">{i}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" font-size="11" text-anchor="middle">'
                 f'position in the answer</text>')
    for c, name in enumerate(configurations):
        points = [(i, v) for i, v in enumerate(series.get(name, ())) if math.isfinite(v)]
        if not points:
            continue
        colour = colours[c % len(colours)]
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in points)
        parts.append(f'<polyline data-configuration="{html.escape(name)}" points="{coords}" fill="none" '
                     f'stroke="{colour}" stroke-width="1.5"/>')
        parts += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"><title>'
                  f'{html.escape(name)}, position {i}: {v:.4g}</title></circle>' for i, v in points]
    parts.append("</svg>")
    return "".join(parts)


def trace_charts(records: Sequence[dict[str, Any]], question: str, configurations: Sequence[str],
                 colours: Sequence[str]) -> str:
    """Both charts of a trace question, side by side; "" when its records hold no positions."""
    charts = []
    bounded = any(r.get("question") == question and r.get("distribution", DISTRIBUTION_FULL) != DISTRIBUTION_FULL
                  for r in records)  # a remote engine's top-k + rest: the entropy lines are lower bounds
    for field, title in MEASURES:
        series = position_means(records, question, field)
        values = [v for line in series.values() for v in line if math.isfinite(v)]
        if not values:
            continue
        top = 1.0 if field == "top1_mass" else max(1.0, float(math.ceil(max(values))))
        if field == "entropy" and bounded:
            title = f"entropy per position {BOUND} (nats, top-k + rest)"
        charts.append(line_chart(series, configurations, colours, title, top))
    if not charts:
        return ""
    legend = f" {LEGEND}." if bounded else ""
    return ('<div class="traces">' + " ".join(charts) + "<p>Lines: the mean over the question's records "
            f"at each position of the answer, one per configuration.{html.escape(legend)}</p></div>")
