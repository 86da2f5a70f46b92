"""Divergence between two next-token distributions, from their logits rows, over the whole vocabulary.

KL(P || Q) = sum_t P(t) (log P(t) - log Q(t)) in nats, computed from both rows' full
log-softmax in float64 (engine/distribution.py's `log_softmax`); a token one side masks (-inf)
while the other gives it mass makes KL infinite, as it is. Jensen-Shannon is the mean KL of each
side to their mixture M = (P + Q) / 2, always finite and at most ln 2. Pure numpy; the lockstep
loop hands the rows over as they are decoded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..distribution import log_softmax
from .types import CompareStep, PairDivergence, PairSummary


def kl(log_p: np.ndarray, log_q: np.ndarray) -> float:
    """KL(P || Q) from full log-probability vectors (nats)."""
    p = np.exp(log_p)
    live = p > 0
    with np.errstate(invalid="ignore"):
        value = float(np.sum(p[live] * (log_p[live] - log_q[live])))
    return max(0.0, value) if not math.isnan(value) else math.inf


def js(log_p: np.ndarray, log_q: np.ndarray) -> float:
    """Jensen-Shannon divergence (nats, natural log): in [0, ln 2]."""
    log_m = np.logaddexp(log_p, log_q) - math.log(2.0)
    return min(math.log(2.0), max(0.0, 0.5 * kl(log_p, log_m) + 0.5 * kl(log_q, log_m)))


def pair_divergence(a: int, b: int, log_a: np.ndarray, log_b: np.ndarray, token_a: int,
                    token_b: int) -> PairDivergence:
    return PairDivergence(
        a=a, b=b, kl_ab=kl(log_a, log_b), kl_ba=kl(log_b, log_a), js=js(log_a, log_b),
        differ=token_a != token_b, logprob_a_of_b=float(log_a[token_b]),
        logprob_b_of_a=float(log_b[token_a]),
    )


def position_pairs(rows: Sequence[np.ndarray | None], tokens: Sequence[int | None]) -> tuple[PairDivergence, ...]:
    """Every pair of lanes that both have a row (logits) and a token at this position."""
    logs = [None if row is None else log_softmax(row) for row in rows]
    pairs = []
    for a in range(len(rows)):
        for b in range(a + 1, len(rows)):
            log_a, log_b, token_a, token_b = logs[a], logs[b], tokens[a], tokens[b]
            if log_a is not None and log_b is not None and token_a is not None and token_b is not None:
                pairs.append(pair_divergence(a, b, log_a, log_b, token_a, token_b))
    return tuple(pairs)


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan


def summarise_pairs(n_lanes: int, steps: Sequence[CompareStep]) -> tuple[PairSummary, ...]:
    """Per pair of lanes: mean KL both ways, mean JS, differing positions, the first of them, and
    each side's mean probability of the other's token, over the positions both reached."""
    summaries = []
    for a in range(n_lanes):
        for b in range(a + 1, n_lanes):
            at = [(s.position, p) for s in steps for p in s.pairs if p.a == a and p.b == b]
            differing = [position for position, p in at if p.differ]
            summaries.append(PairSummary(
                a=a, b=b, positions=len(at),
                mean_kl_ab=_mean([p.kl_ab for _, p in at]), mean_kl_ba=_mean([p.kl_ba for _, p in at]),
                mean_js=_mean([p.js for _, p in at]), differing=len(differing),
                first_difference=differing[0] if differing else None,
                mean_prob_a_of_b=_mean([math.exp(p.logprob_a_of_b) for _, p in at]),
                mean_prob_b_of_a=_mean([math.exp(p.logprob_b_of_a) for _, p in at]),
            ))
    return tuple(summaries)
