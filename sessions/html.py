"""A session as one self-contained HTML file: to attach to a report or open on any machine.

No scripts, stylesheets, fonts or images from anywhere else: the style is inline CSS and there is
no JavaScript at all. Each token's background is tinted by the probability the model gave it
(red unlikely, green likely); hovering a token shows its top-k (a CSS tooltip, plus a plain
`title` attribute), and every token has an anchor (`#t3-17`: turn 3, position 17) whose tooltip
stays open when the page is opened at that address. Battery runs follow the turns, each with
what it was and its summary rows in a table (`#battery3`: the third run), then comparisons, one
column per configuration, tokens tinted the same way and the positions where the chosen tokens
differ from another configuration's underlined (`#comparison2`; a token `#c2-1-5`: comparison 2,
configuration 1, position 5).
A step from a remote engine's top-k (distribution "top-k+rest") has its entropy, and a rank outside
the top-k, marked "≥" in its tooltip, with the legend line saying why (sessions/distribution_marks.py).
"""

from __future__ import annotations

import html
import math

from engine.types import ChoiceResult, GenerationResult, TokenStep

from .battery_runs import BatteryRun
from .comparison_text import answer_line, lane_configuration
from .comparisons import ComparisonRecord
from .distribution_marks import LEGEND, any_approximate, entropy_text, rank_text
from .export import SUMMARY_COLUMNS, describe_battery_run, describe_comparison, describe_config, summary_cells
from .journal import Session
from .model import Turn

PAGE_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d232b}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}
.sub{color:#5a6472;font-size:13px}
.turn{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:14px 18px;margin:16px 0}
"""
"""The page, title, subtitle and turn-card rules every exported HTML page shares (tree_html.py too)."""

_CSS = PAGE_CSS + """.turn h2{font-size:15px;margin:0 0 6px}
.meta{font-size:12px;color:#5a6472;margin:0 0 10px;padding-left:18px}
.msg{white-space:pre-wrap;margin:6px 0}
.who{font-weight:600;font-size:13px;color:#3b4654}
.answer{white-space:pre-wrap;font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:14px;line-height:1.9}
.t{position:relative;border-radius:3px;padding:1px 0;cursor:default}
.t:hover,.t:target{outline:2px solid #1d232b}
.ctl{color:#7a8390;font-size:11px}
.tip{display:none;position:absolute;left:0;top:1.7em;z-index:10;background:#1d232b;color:#f3f5f7;
 border-radius:6px;padding:8px 10px;font-size:12px;line-height:1.35;white-space:nowrap;box-shadow:0 4px 14px #0004}
.t:hover .tip,.t:target .tip{display:block}
.tip table{border-collapse:collapse}
.tip td{padding:1px 6px 1px 0}
.tip .bar{display:inline-block;height:8px;background:#6fcf97;border-radius:2px}
.tip .me td{color:#ffd479;font-weight:600}
.legend{display:flex;gap:2px;align-items:center;font-size:12px;color:#5a6472;margin-top:8px}
.legend span{width:34px;height:14px;display:inline-block;border-radius:2px}
table.opts{border-collapse:collapse;font-size:14px}
table.opts td,table.opts th{border-bottom:1px solid #e6e9ed;padding:3px 10px;text-align:left}
.lanes{display:grid;gap:12px}
.lane h3{font-size:14px;margin:4px 0}
.lane .meta{padding-left:0;list-style:none}
.t.differ{text-decoration:underline wavy #c0392b;text-underline-offset:4px}
.t.first{box-shadow:inset 0 -3px 0 #c0392b}
"""


def tint(prob: float) -> str:
    """Background for a token of probability `prob`: hue 0 (red) at p=0 to 120 (green) at p=1."""
    p = min(1.0, max(0.0, prob))
    return f"hsl({round(120 * p)},75%,{round(88 - 8 * p)}%)"


def _shown(text: str) -> str:
    return text.replace("\n", "↵").replace("\t", "⇥") or "∅"


RICH_TOOLTIP_LIMIT = 20_000  # tokens; above it, hover shows the plain `title` only (file size)


def _token(anchor: str, step: TokenStep, rich: bool, mark: str = "", note: str = "") -> str:
    """One token's span: `anchor` its id, `mark` extra classes, `note` a line added to its tip."""
    rows = []
    tips = []
    for alt in step.top:
        me = ' class="me"' if alt.id == step.id else ""
        rows.append(f'<tr{me}><td>{html.escape(_shown(alt.text))}</td><td>{alt.prob:.3f}</td>'
                    f'<td><span class="bar" style="width:{max(1, round(alt.prob * 80))}px"></span>'
                    f"</td></tr>")
        tips.append(f"{_shown(alt.text)} {alt.prob:.3f}")
    head = (f"#{step.i} id {step.id} · p {step.prob:.3f} · rank {rank_text(step)} · "
            f"entropy {entropy_text(step)} nats{' · forced' if step.forced else ''}{note}")
    title = html.escape(head + "\n" + "\n".join(tips), quote=True)
    if step.text:
        body = html.escape(step.text).replace("\n", '<span class="ctl">↵</span>\n')
    else:
        raw = step.piece.decode("utf-8", "replace") if step.piece else ""
        body = f'<span class="ctl">{html.escape(raw if raw.isprintable() and raw else "·")}</span>'
    tip = (f'<span class="tip">{html.escape(head)}<table>{"".join(rows)}</table></span>'
           if rich else "")
    return (f'<span class="t{mark}" id="{anchor}" style="background:{tint(step.prob)}" '
            f'title="{title}">{body}{tip}</span>')


def _turn(turn_no: int, turn: Turn, rich: bool) -> str:
    meta = "".join(f"<li>{html.escape(line)}</li>" for line in describe_config(turn))
    if turn.parent:
        meta += f"<li>Branch of turn {html.escape(turn.parent)} at token {turn.branch_position}</li>"
    if turn.origin:
        meta += (f"<li>Re-run of {html.escape(turn.origin.session)} turn "
                 f"{html.escape(turn.origin.turn)}</li>")
    parts = [f'<section class="turn" id="turn{turn_no}">',
             f"<h2>Turn {turn_no} · {turn.kind.value}</h2>", f'<ul class="meta">{meta}</ul>',
             f'<div class="who">User</div><div class="msg">{html.escape(turn.prompt)}</div>']
    result = turn.result
    if isinstance(result, ChoiceResult):
        rows = "".join(f"<tr><td>{html.escape(o.text)}</td><td>{o.prob:.3f}</td>"
                       f"<td>{o.logprob:.3f}</td></tr>" for o in result.options)
        parts.append('<table class="opts"><tr><th>option</th><th>p (normalised)</th>'
                     f"<th>log-likelihood</th></tr>{rows}</table>")
    else:
        label = ("Assistant" if isinstance(result, GenerationResult) else
                 f"Scored continuation · total log-probability {result.total_logprob:.3f}")
        tokens = "".join(_token(f"t{turn_no}-{s.i}", s, rich) for s in turn.steps)
        parts.append(f'<div class="who">{html.escape(label)}</div><div class="answer">{tokens}</div>')
    parts.append("</section>")
    return "".join(parts)


def _battery_run(number: int, run: BatteryRun) -> str:
    meta = "".join(f"<li>{html.escape(line)}</li>" for line in describe_battery_run(run))
    parts = [f'<section class="turn battery" id="battery{number}">',
             f"<h2>Battery run {number} · {html.escape(run.battery)}</h2>", f'<ul class="meta">{meta}</ul>']
    if run.summary:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in SUMMARY_COLUMNS)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in summary_cells(row)) + "</tr>"
                       for row in run.summary)
        parts.append(f'<table class="opts"><tr>{head}</tr>{rows}</table>')
    parts.append("</section>")
    return "".join(parts)


def _differences(record: ComparisonRecord, lane: int) -> dict[int, list[str]]:
    """Position -> the configurations whose chosen token differs from lane `lane`'s there."""
    names = record.names
    out: dict[int, list[str]] = {}
    for step in record.steps:
        for pair in step.pairs:
            if pair.differ and lane in (pair.a, pair.b):
                out.setdefault(step.position, []).append(names[pair.b if pair.a == lane else pair.a])
    return out


def _comparison(number: int, record: ComparisonRecord, rich: bool) -> str:
    meta = "".join(f"<li>{html.escape(line)}</li>" for line in describe_comparison(record))
    columns = []
    for i, (lane, answer) in enumerate(zip(record.request.lanes, record.result.lanes, strict=True)):
        differ = _differences(record, i)
        first = min(differ, default=None)
        tokens = "".join(
            _token(f"c{number}-{i}-{s.i}", s, rich,
                   (" differ" if s.i in differ else "") + (" first" if s.i == first else ""),
                   f" · differs from {', '.join(differ[s.i])}" if s.i in differ else "")
            for s in answer.steps)
        columns.append(f'<div class="lane"><h3>{html.escape(lane.name)}</h3><ul class="meta">'
                       f"<li>{html.escape(lane_configuration(lane))}</li><li>{html.escape(answer_line(answer))}</li>"
                       f'</ul><div class="answer">{tokens}</div></div>')
    lanes = len(columns)
    return (f'<section class="turn comparison" id="comparison{number}">'
            f"<h2>Comparison {number} · {html.escape(', '.join(record.names))}</h2>"
            f'<ul class="meta">{meta}</ul>'
            f'<div class="lanes" style="grid-template-columns:repeat({lanes},minmax(0,1fr))">{"".join(columns)}</div>'
            "</section>")


def _approximate(session: Session) -> bool:
    """Any step of a turn or a comparison lane over a remote engine's top-k + rest."""
    return (any(any_approximate(t.steps) for t in session.turns)
            or any(any_approximate(lane.steps) for c in session.comparisons for lane in c.result.lanes))


def export_html(session: Session, rich_tooltips: bool | None = None) -> str:
    """The page; `rich_tooltips` (default: up to RICH_TOOLTIP_LIMIT tokens) adds the CSS top-k
    table to each token besides its `title` (about 1 KB a token)."""
    h = session.header
    total = sum(len(t.steps) for t in session.turns)
    compared = sum(len(lane.steps) for c in session.comparisons for lane in c.result.lanes)
    rich = total + compared <= RICH_TOOLTIP_LIMIT if rich_tooltips is None else rich_tooltips
    legend = "".join(f'<span style="background:{tint(p / 10)}"></span>' for p in range(11))
    origin = (f" · derived from {html.escape(h.origin.session)} ({html.escape(h.origin.relation)}: "
              f"{html.escape(h.origin.config)})" if h.origin else "")
    turns = "\n".join([_turn(n, t, rich) for n, t in enumerate(session.turns, 1)]
                      + [_battery_run(n, r) for n, r in enumerate(session.battery_runs, 1)]
                      + [_comparison(n, c, rich) for n, c in enumerate(session.comparisons, 1)])
    runs = len(session.battery_runs)
    battery_runs = f" · {runs} battery run{'s' if runs != 1 else ''}" if runs else ""
    comparisons = len(session.comparisons)
    battery_runs += f" · {comparisons} comparison{'s' if comparisons != 1 else ''}" if comparisons else ""
    mean_p = (math.fsum(s.prob for t in session.turns for s in t.steps) / total) if total else 0.0
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(h.name)} · logitscope session</title><style>{_CSS}</style></head>"
        f"<body><main><h1>{html.escape(h.name)}</h1>"
        f'<div class="sub">Session {html.escape(h.id)} · created {html.escape(h.created)} · '
        f"{len(session.turns)} turns · {total} tokens · mean token probability {mean_p:.2f}{battery_runs}"
        f"{origin}</div>"
        f'<div class="legend">p = 0 {legend} p = 1 · hover a token for its top-k · '
        "rank: tokens more likely than the chosen one (0 = top-1)"
        f"{html.escape(' · ' + LEGEND) if _approximate(session) else ''}</div>"
        f"{turns}</main></body></html>\n"
    )
