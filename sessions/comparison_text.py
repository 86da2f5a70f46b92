"""A comparison in words, one line per thing: shared by the CLI (`compare`, `session show`) and the
Markdown and HTML exports, so what a lane or a pair summary says is written once.

Pure formatting of engine values (engine/compare/types.py); no textual, no model. A comparison
whose steps came from a remote engine's top-k (engine/remote/compare.py: KL and JS over the
lanes' top-k plus a rest bucket) has its pair lines marked "≈" (sessions/distribution_marks.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from engine.compare import CompareLane, CompareStep, PairSummary
from engine.types import GenerationResult

from .distribution_marks import APPROXIMATE, approximate


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


def comparison_approximate(steps: Sequence[CompareStep]) -> bool:
    """True when any lane's step was over a top-k + rest: the pairs' KL and JS are approximate."""
    return any(s is not None and approximate(s) for step in steps for s in step.steps)


def pair_line(names: Sequence[str], p: PairSummary, approximate: bool = False) -> str:
    """One pair's summary: mean KL both ways, mean JS, differing positions and the first, and
    each side's mean probability of the other's token; "≈ " first when `approximate`."""
    a, b = names[p.a], names[p.b]
    first = f", first at {p.first_difference}" if p.first_difference is not None else ""
    mark = f"{APPROXIMATE} " if approximate else ""
    return (f"{mark}{a} / {b}: mean KL({a}||{b}) {number(p.mean_kl_ab)}, KL({b}||{a}) {number(p.mean_kl_ba)}, "
            f"mean JS {number(p.mean_js)}; {p.differing} of {p.positions} positions differ{first}; "
            f"mean p of the other's token: {number(p.mean_prob_a_of_b)} under {a}, "
            f"{number(p.mean_prob_b_of_a)} under {b}")


__all__ = ["answer_line", "comparison_approximate", "lane_configuration", "lane_header", "number", "pair_line"]
