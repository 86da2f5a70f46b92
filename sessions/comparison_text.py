"""A comparison in words, one line per thing: shared by the CLI (`compare`, `session show`) and the
Markdown and HTML exports, so what a lane or a pair summary says is written once.

Pure formatting of engine values (engine/compare/types.py); no textual, no model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from engine.compare import CompareLane, PairSummary
from engine.types import GenerationResult


def lane_header(lane: CompareLane) -> str:
    """`[pirate] adapters none; system custom: '...'; temperature 0.8, top-k 40, ...`."""
    return f"[{lane.name}] {lane_configuration(lane)}"


def lane_configuration(lane: CompareLane) -> str:
    c, s = lane.configuration, lane.sampling
    adapters = ", ".join(f"{Path(a.path).name}:{a.scale:g}" for a in c.adapters) or "none"
    trigger = f"; trigger {c.trigger!r} at {c.trigger_at.value}" if c.trigger else ""
    sampling = ("greedy" if s.greedy else f"temperature {s.temperature:g}, top-k {s.top_k}, top-p {s.top_p:g}, "
                f"min-p {s.min_p:g}") + (f", repeat penalty {s.repeat_penalty:g}" if s.repeat_penalty != 1 else "")
    model = f"model {Path(c.model_path).name}; " if c.model_path else ""
    return f"{model}adapters {adapters}; system {c.system.describe()}{trigger}; {sampling}"


def answer_line(answer: GenerationResult) -> str:
    """`(12 tokens, stop, seed 7)`."""
    return f"({len(answer.steps)} tokens, {answer.finish_reason}, seed {answer.provenance.sampling.seed})"


def number(value: float) -> str:
    return "inf" if math.isinf(value) else "–" if math.isnan(value) else f"{value:.4f}"


def pair_line(names: Sequence[str], p: PairSummary) -> str:
    """One pair's summary: mean KL both ways, mean JS, differing positions and the first, and
    each side's mean probability of the other's token."""
    a, b = names[p.a], names[p.b]
    first = f", first at {p.first_difference}" if p.first_difference is not None else ""
    return (f"{a} / {b}: mean KL({a}||{b}) {number(p.mean_kl_ab)}, KL({b}||{a}) {number(p.mean_kl_ba)}, "
            f"mean JS {number(p.mean_js)}; {p.differing} of {p.positions} positions differ{first}; "
            f"mean p of the other's token: {number(p.mean_prob_a_of_b)} under {a}, "
            f"{number(p.mean_prob_b_of_a)} under {b}")


__all__ = ["answer_line", "lane_configuration", "lane_header", "number", "pair_line"]
