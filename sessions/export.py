"""Exports for people and programs: Markdown for notes and issues, JSONL as a clean journal copy.

The JSONL export re-encodes every readable turn in the current format, so it is itself a valid
session (damaged records left behind); the HTML export lives in sessions/html.py.
"""

from __future__ import annotations

import math
from pathlib import Path

from engine.types import ChoiceResult, GenerationResult, ScoreResult

from .format import header_line, turn_line
from .journal import Session
from .model import Turn


def export_jsonl(session: Session) -> bytes:
    return header_line(session.header) + b"".join(turn_line(t) for t in session.turns)


def describe_config(turn: Turn) -> list[str]:
    """Provenance lines shared by the Markdown and HTML exports."""
    p = turn.provenance
    s = p.sampling
    adapters = ", ".join(f"{Path(a.path).name} ×{a.scale:g} (sha256 {a.sha256[:12] or 'missing'})"
                         for a in turn.adapters) or "none"
    sampling = ("greedy" if s.greedy else
                f"temperature {s.temperature:g}, top-p {s.top_p:g}, top-k {s.top_k}, min-p {s.min_p:g}")
    return [
        f"Model: {Path(p.model_path).name} (sha256 {p.model_sha256[:12]}), context {p.n_ctx}",
        f"Adapters: {adapters}",
        f"System prompt: {p.system.describe()}",
        f"Sampling: {sampling}, repeat penalty {s.repeat_penalty:g}, seed {s.seed}",
        f"Prompt: {len(p.prompt_token_ids)} tokens ({p.template_source} template)",
        f"Engine {p.engine_version}, llama-cpp-python {p.llama_cpp_python_version}",
    ]


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "\\n").replace("`", "'") or "∅"


def _token_table(turn: Turn) -> list[str]:
    rows = ["| # | token | p | rank | entropy | top alternatives |", "|---|---|---|---|---|---|"]
    for s in turn.steps:
        alts = ", ".join(f"`{_cell(a.text)}` {a.prob:.2f}" for a in s.top[:3])
        rows.append(f"| {s.i} | `{_cell(s.text or s.piece.decode('utf-8', 'replace'))}` | "
                    f"{s.prob:.3f} | {s.rank} | {s.entropy:.2f} | {alts} |")
    return rows


def _quote(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.split("\n")]


def turn_markdown(number: int, turn: Turn) -> list[str]:
    out = [f"## Turn {number} · {turn.kind.value} · {turn.created}", ""]
    out += [f"- {line}" for line in describe_config(turn)]
    if turn.parent:
        out.append(f"- Branch of turn `{turn.parent}` at token {turn.branch_position}")
    if turn.origin:
        out.append(f"- Re-run of `{turn.origin.session}` turn `{turn.origin.turn}`")
    out += ["", "**User:**", ""] + _quote(turn.prompt) + [""]
    result = turn.result
    if isinstance(result, GenerationResult):
        out += [f"**Assistant** ({len(result.steps)} tokens, {result.finish_reason}):", ""]
        out += _quote(result.text) + [""]
    elif isinstance(result, ChoiceResult):
        out += ["| option | p (normalised) | log-likelihood |", "|---|---|---|"]
        out += [f"| `{_cell(o.text)}` | {o.prob:.3f} | {o.logprob:.3f} |" for o in result.options]
        out += ["", f"Probability mass covered by the options: {result.mass:.3f}", ""]
    elif isinstance(result, ScoreResult):
        out += [f"**Scored continuation** (total log-probability {result.total_logprob:.3f}, "
                f"perplexity {math.exp(-result.total_logprob / max(1, len(result.steps))):.2f}):", ""]
        out += _quote(turn.answer) + [""]
    if turn.steps:
        out += ["<details><summary>Token steps</summary>", ""] + _token_table(turn)
        out += ["", "</details>", ""]
    return out


def export_markdown(session: Session) -> str:
    h = session.header
    out = [f"# Session: {h.name}", "", f"- Id: `{h.id}`", f"- Created: {h.created}",
           f"- Turns: {len(session.turns)}"]
    if h.origin:
        out.append(f"- Derived from `{h.origin.session}` ({h.origin.relation}: {h.origin.config})")
    out.append("")
    for number, turn in enumerate(session.turns, 1):
        out += turn_markdown(number, turn)
    return "\n".join(out) + "\n"
