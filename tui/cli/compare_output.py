"""A comparison as JSON: shared by `logitscope compare --json` and `session show --json`.

Why its own module: the live command and the journal replay print the same thing, so a field
renamed in one place cannot drift from the other (the text lines are sessions/comparison_text.py).
The JSON's field names are public interface (docs/compare.md); they follow the CLI's conventions
(jsonout.py: token steps as in `ask --json`, non-finite numbers null). Each configuration says
what its steps' entropy and rank (and so the pairs' KL and JS) were over: `distribution` "full",
"top-k+rest" (a remote engine's top-k; the divergences approximate) or "mixed".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from engine.compare import CompareLane, CompareRequest, CompareResult, CompareStep, PairSummary
from sessions.comparisons import lane_steps
from sessions.distribution_marks import distribution_of

from .jsonout import provenance_record, step_record, to_jsonable


def lane_definition(lane: CompareLane) -> dict[str, Any]:
    """A lane's configuration as plain values (the configs file's definition, sampling always)."""
    c, s = lane.configuration, lane.sampling
    return {
        "name": lane.name,
        "adapters": [{"path": a.path, "scale": a.scale} for a in c.adapters],
        "system": {"mode": c.system.mode.value, "text": c.system.text},
        "trigger": c.trigger, "trigger_at": c.trigger_at.value if c.trigger else None,
        "sampling": {"temperature": s.temperature, "top_k": s.top_k, "top_p": s.top_p, "min_p": s.min_p,
                     "repeat_penalty": s.repeat_penalty, "seed": s.seed},
        "model": c.model_path or None,
    }


def _summary(p: PairSummary) -> dict[str, Any]:
    return {"positions": p.positions, "mean_kl_ab": p.mean_kl_ab, "mean_kl_ba": p.mean_kl_ba,
            "mean_js": p.mean_js, "differing": p.differing, "first_difference": p.first_difference,
            "mean_prob_a_of_b": p.mean_prob_a_of_b, "mean_prob_b_of_a": p.mean_prob_b_of_a}


def comparison_json(request: CompareRequest, steps: Sequence[CompareStep], result: CompareResult
                    ) -> dict[str, Any]:
    """The comparison as `compare --json` prints it (docs/compare.md)."""
    names = result.names
    configurations = []
    for i, (lane, answer) in enumerate(zip(request.lanes, result.lanes, strict=True)):
        own = lane_steps(steps, i)
        configurations.append({
            **lane_definition(lane), "text": answer.text, "finish_reason": answer.finish_reason,
            "n_tokens": len(own), "distribution": distribution_of(own), "steps": [step_record(s) for s in own],
            "seed": answer.provenance.sampling.seed, "provenance": provenance_record(answer.provenance)})
    pairs = []
    for summary in result.pairs:
        positions = [{"position": s.position, "kl_ab": p.kl_ab, "kl_ba": p.kl_ba, "js": p.js, "differ": p.differ,
                      "prob_a_of_b": math.exp(p.logprob_a_of_b), "prob_b_of_a": math.exp(p.logprob_b_of_a)}
                     for s in steps for p in s.pairs if (p.a, p.b) == (summary.a, summary.b)]
        pairs.append({"a": names[summary.a], "b": names[summary.b], "summary": _summary(summary),
                      "positions": positions})
    return to_jsonable({
        "prompt": request.messages[-1].content if request.messages else "",
        "forced": result.forced, "forced_from": request.forced_from or None,
        "forced_ids": list(request.forced_ids) if request.forced_ids else None,
        "stopped": any(lane.finish_reason == "cancelled" for lane in result.lanes),
        "configurations": configurations, "pairs": pairs,
    })


__all__ = ["comparison_json", "lane_definition"]
