"""A session's branch tree as one self-contained HTML page: `session export --format tree-html`.

The same data as the JSON tree (sessions/tree.py) as nested lists: each conversation turn, its
answers, and under each answer the branches forking from it, each line saying where it forks
(position, the token it replaced and the one it forced, with that token's probability) and its
mean logprob, then its generated tokens tinted by their probability like the HTML export
(sessions/html.py's `tint`; a token's `title` gives its probability and logprob). Inline CSS, no
scripts, nothing loaded from anywhere else; every text from the session is escaped.
"""

from __future__ import annotations

import html
from typing import Any

from .html import PAGE_CSS, tint
from .journal import Session
from .tree import session_tree

_CSS = PAGE_CSS + """.turn h2{font-size:15px;margin:0 0 6px;white-space:pre-wrap}
ul.tree{list-style:none;padding-left:18px;border-left:1px dashed #c5ccd5;margin:4px 0}
.head{font-size:12px;color:#5a6472}
.answer{white-space:pre-wrap;font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:14px;line-height:1.9}
.t{border-radius:3px;padding:1px 0}
.forced{outline:2px solid #1d232b;border-radius:3px;padding:1px 2px}
"""


def _number(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def _head(node: dict[str, Any], number: int) -> str:
    parts = [f"#{number}"]
    fork = node["fork"]
    if fork is not None:
        parts.append(f"at token {fork['position']}: {fork['replaced']!r} → {fork['text']!r} "
                     f"(p {_number(fork['prob'], '.3f')})")
    parts.append(f"mean logprob {_number(node['mean_logprob'], '.3f')}")
    parts.append(f"{len(node['tokens'])} tokens, {node['finish_reason']}")
    return html.escape(" · ".join(parts))


def _tokens(node: dict[str, Any]) -> str:
    spans = []
    fork = node["fork"]
    if fork is not None and fork["text"] is not None:
        spans.append(f'<span class="forced" title="forced at {fork["position"]}">'
                     f'{html.escape(fork["text"])}</span>')
    for token in node["tokens"]:
        title = f"#{token['i']} p {token['prob']:.3f} · logprob {token['logprob']:.3f}"
        spans.append(f'<span class="t" style="background:{tint(token["prob"])}" title="{html.escape(title)}">'
                     f'{html.escape(token["text"])}</span>')
    return "".join(spans)


def _branch(node: dict[str, Any], counter: list[int]) -> str:
    counter[0] += 1
    out = [f'<li id="b-{html.escape(node["id"])}"><div class="head">{_head(node, counter[0])}</div>',
           f'<div class="answer">{_tokens(node)}</div>']
    if node["branches"]:
        out.append('<ul class="tree">' + "".join(_branch(c, counter) for c in node["branches"]) + "</ul>")
    out.append("</li>")
    return "".join(out)


def export_tree_html(session: Session) -> str:
    tree = session_tree(session)
    name = html.escape(tree["session"]["name"])
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>Branch tree · {name}</title><style>{_CSS}</style></head><body><main>",
           f"<h1>Branch tree · {name}</h1>",
           f'<p class="sub">Session {html.escape(tree["session"]["id"])} · {len(tree["turns"])} turns · '
           "tokens tinted by probability (red unlikely, green likely); the forced token outlined</p>"]
    for number, turn in enumerate(tree["turns"], 1):
        counter = [0]
        out.append(f'<section class="turn" id="turn{number}"><h2>Turn {number}: {html.escape(turn["prompt"])}</h2>')
        out.append('<ul class="tree">' + "".join(_branch(a, counter) for a in turn["answers"]) + "</ul></section>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
