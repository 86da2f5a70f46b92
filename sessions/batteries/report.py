"""`DIR/report.html`: one self-contained page (inline CSS and SVG, no scripts) for a battery run.

Why its own module: a run is read by looking at it. For each question: a bar chart with the
configurations side by side for each measure, whiskers at the 95% interval (summary.py), the
numbers as a table, the exact prompt (the rendered chat prompt, special tokens included) of the
question's first record, and for free questions the most frequent normalised answers. Number
questions chart the expected value on an axis spanning their range, trace questions the mean
top-1 mass (entropy in the table) and, below it, entropy and top-1 mass per position as lines
(trace_chart.py); word questions leave `mass` to the table.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from .summary import SummaryRow
from .trace_chart import trace_charts

COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac")
CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
h2{margin-top:2em;border-bottom:1px solid #ccc}table{border-collapse:collapse;font-size:.9em}
td,th{padding:.2em .6em;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child,
td:nth-child(2),th:nth-child(2){text-align:left}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}
.legend span{display:inline-block;margin-right:1em}.swatch{width:.9em;height:.9em;margin-right:.3em;
vertical-align:middle}"""


def _charted(rows: Sequence[SummaryRow]) -> list[SummaryRow]:
    if rows and rows[0].readout == "number":
        return [r for r in rows if r.measure == "expected_value"]
    if rows and rows[0].readout == "trace":
        return [r for r in rows if r.measure == "mean_top1_mass"]
    return [r for r in rows if r.measure != "mass"]


def _number(value: float | None, digits: int = 4) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above `value` (an axis top)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value * (1 - 1e-12))


def chart(rows: Sequence[SummaryRow], configurations: Sequence[str], axis_max: float | None = None) -> str:
    """An SVG bar chart: a group per measure, a bar per configuration, whiskers at the interval
    (cut at the axis). The axis runs from 0 to `axis_max`, else to the largest mean (at least 1)."""
    measures = list(dict.fromkeys(r.measure for r in rows))
    by_key = {(r.measure, r.configuration): r for r in rows}
    means = [r.estimate.mean for r in rows if math.isfinite(r.estimate.mean)]
    top = axis_max if axis_max is not None else nice_ceiling(max(means + [1.0]))
    bar, gap, height, left, bottom = 18, 24, 180, 48, 60
    label_width = max((len(m) for m in measures), default=0) * 7 + 8
    group = max(bar * len(configurations), min(label_width, 200)) + gap
    width = left + group * len(measures) + gap
    y = lambda v: 10 + height * (1 - min(max(v, 0.0), top) / top)  # noqa: E731
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + bottom + 10}" '
             f'role="img">']
    for tick in (0.0, top / 4, top / 2, 3 * top / 4, top):
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" font-size="10" text-anchor="end">'
                     f'{_number(tick, 3)}</text>')
    for m, measure in enumerate(measures):
        x0 = left + gap + m * group
        for c, configuration in enumerate(configurations):
            row = by_key.get((measure, configuration))
            if row is None or not math.isfinite(row.estimate.mean):
                continue
            x, e = x0 + c * bar, row.estimate
            title = html.escape(f"{configuration} / {measure}: {_number(e.mean)} "
                                f"[{_number(e.low)}, {_number(e.high)}] n={e.n}")
            parts.append(f'<rect x="{x}" y="{y(e.mean):.1f}" width="{bar - 2}" height="{10 + height - y(e.mean):.1f}" '
                         f'fill="{COLOURS[c % len(COLOURS)]}"><title>{title}</title></rect>')
            if e.low is not None and e.high is not None:
                cx = x + (bar - 2) / 2
                parts.append(f'<path d="M{cx},{y(e.low):.1f}V{y(e.high):.1f}M{cx - 4},{y(e.low):.1f}h8'
                             f'M{cx - 4},{y(e.high):.1f}h8" stroke="#222" fill="none"/>')
        label = html.escape(measure if len(measure) <= 28 else measure[:27] + "…")
        parts.append(f'<text x="{x0 + bar * len(configurations) / 2:.1f}" y="{height + 26}" font-size="11" '
                     f'text-anchor="middle">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _legend(configurations: Sequence[str]) -> str:
    return '<p class="legend">' + "".join(
        f'<span><svg class="swatch" width="10" height="10"><rect width="10" height="10" '
        f'fill="{COLOURS[i % len(COLOURS)]}"/></svg>{html.escape(name)}</span>'
        for i, name in enumerate(configurations)) + "</p>"


def _table(rows: Sequence[SummaryRow]) -> str:
    head = "<tr><th>configuration</th><th>measure</th><th>mean</th><th>sd</th><th>n</th><th>95% interval</th></tr>"
    body = "".join(
        f"<tr><td>{html.escape(r.configuration)}</td><td>{html.escape(r.measure)}</td>"
        f"<td>{_number(r.estimate.mean)}</td><td>{_number(r.estimate.sd)}</td><td>{r.estimate.n}</td>"
        f"<td>{_number(r.estimate.low)} – {_number(r.estimate.high)}</td></tr>" for r in rows)
    return f"<table>{head}{body}</table>"


def _axis_max(rows: Sequence[SummaryRow], example: dict[str, Any]) -> float | None:
    """A number question's axis is its whole range; probabilities' axis is [0, 1]."""
    if rows and rows[0].readout == "number" and example.get("numbers"):
        return float(max(int(value) for value in example["numbers"]))
    if rows and rows[0].readout in ("options", "words", "free", "trace"):
        return 1.0
    return None


def answer_counts(records: Sequence[dict[str, Any]], question: str, top: int = 8) -> str:
    """For a free question: the most frequent normalised answers per configuration, as a table."""
    counts: dict[str, dict[str, int]] = {}
    for r in records:
        if r["question"] == question and "normalised_answer" in r:
            per = counts.setdefault(r["configuration"]["group"], {})
            per[r["normalised_answer"]] = per.get(r["normalised_answer"], 0) + 1
    if not counts:
        return ""
    body = "".join(
        f"<tr><td>{html.escape(configuration)}</td><td>{count}</td><td>{html.escape(answer)}</td></tr>"
        for configuration, per in counts.items()
        for answer, count in sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))[:top])
    return ("<h3>Most frequent answers (normalised)</h3><table><tr><th>configuration</th><th>count</th>"
            f"<th>answer</th></tr>{body}</table>")


def _traces(rows: Sequence[SummaryRow], records: Sequence[dict[str, Any]], question: str,
            configurations: Sequence[str]) -> str:
    return trace_charts(records, question, configurations, COLOURS) if rows[0].readout == "trace" else ""


def render_report(title: str, rows: Sequence[SummaryRow], records: Sequence[dict[str, Any]]) -> str:
    """The whole page: a section per question, in summary order."""
    configurations = list(dict.fromkeys(r.configuration for r in rows))
    first: dict[str, dict[str, Any]] = {}
    for record in records:
        first.setdefault(record["question"], record)
    questions = list(dict.fromkeys(r.question for r in rows))
    sections = []
    for question in questions:
        question_rows = [r for r in rows if r.question == question]
        example = first.get(question, {})
        prompt = (example.get("provenance") or {}).get("rendered_prompt", "")
        sections.append(
            f'<section class="question" id="{html.escape(question)}"><h2>{html.escape(question)} '
            f'<small>({html.escape(question_rows[0].readout)})</small></h2>'
            f"{chart(_charted(question_rows), configurations, _axis_max(question_rows, example))}"
            f"{_traces(question_rows, records, question, configurations)}"
            f"{_table(question_rows)}{answer_counts(records, question)}"
            f"<h3>Exact prompt ({html.escape(str(example.get('key', '')))}, configuration "
            f"{html.escape(str((example.get('configuration') or {}).get('name', '')))})</h3>"
            f"<pre>{html.escape(prompt)}</pre></section>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{len(records)} records; bars: means over paraphrases, orderings and samples; whiskers: "
            f"t-based 95% intervals of the mean.</p>{_legend(configurations)}{''.join(sections)}</body></html>\n")
