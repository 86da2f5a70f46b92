"""Next-token distributions computed by us, from one row of logits, over the whole vocabulary.

llama.cpp keeps only the last position's logits (we never ask for `logits_all`); after each decode
the worker hands that row to `summarise`, which does a numerically stable log-softmax, the entropy
in nats (a token masked with a -inf logit counts as probability 0), the chosen token's
log-probability and rank, and the top-k by argpartition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DistributionSummary:
    logprob: float  # of the chosen token
    entropy: float  # nats, over the whole vocabulary
    rank: int  # number of tokens strictly more likely than the chosen one
    top_ids: tuple[int, ...]  # most likely first
    top_logprobs: tuple[float, ...]
    # log(sum(exp(logits))): a token's log-probability is its logit minus this
    log_normaliser: float = 0.0


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Full log-softmax (used by tests and scorers; `summarise` avoids materialising it)."""
    shifted = logits.astype(np.float64) - float(np.max(logits))
    return shifted - np.log(np.sum(np.exp(shifted)))


def summarise(logits: np.ndarray, chosen: int, k: int) -> DistributionSummary:
    """Summarise `logits` (1-D float32, length n_vocab) for the token `chosen`.

    Sums are accumulated in float64 over float32 exponentials (values are shifted so the largest
    is 0, which keeps exp in range). Top-k looks first among the tokens within
    `_TOP_WINDOW` nats of the best, which holds k tokens in all but near-uniform distributions,
    and partitions the whole vocabulary when that window is too small or too large. About 0.3 ms for a 50k vocabulary.
    """
    peak = logits.max()
    shifted = logits - peak
    weights = np.exp(shifted)
    total = float(weights.sum(dtype=np.float64))
    log_total = math.log(total)
    entropy = log_total - _expected_shift(weights, shifted) / total
    chosen_shifted = float(shifted[chosen])
    rank = int(np.count_nonzero(shifted > shifted[chosen]))
    top_ids, top_logprobs = _top_k(shifted, min(max(0, int(k)), shifted.shape[0]), log_total)
    return DistributionSummary(
        logprob=chosen_shifted - log_total,
        entropy=max(0.0, entropy),
        rank=rank,
        top_ids=top_ids,
        top_logprobs=top_logprobs,
        log_normaliser=float(peak) + log_total,
    )


def _expected_shift(weights: np.ndarray, shifted: np.ndarray) -> float:
    """sum(weights * shifted), where a masked token (logit -inf, weight 0) adds 0, not 0 * -inf."""
    with np.errstate(invalid="ignore"):
        dot = float(np.dot(weights, shifted))
    if math.isnan(dot):  # only when some logit is -inf: skip those tokens
        live = weights > 0
        dot = float(np.dot(weights[live], shifted[live]))
    return dot


_TOP_WINDOW = 12.0
_MAX_WINDOW_TOKENS = 4096


def _top_k(shifted: np.ndarray, k: int, log_total: float) -> tuple[tuple[int, ...], tuple[float, ...]]:
    if k == 0:
        return (), ()
    candidates = np.flatnonzero(shifted > -_TOP_WINDOW)
    if not k <= candidates.shape[0] <= _MAX_WINDOW_TOKENS:
        candidates = np.argpartition(shifted, -k)[-k:]
    elif candidates.shape[0] > k:
        candidates = candidates[np.argpartition(shifted[candidates], -k)[-k:]]
    order = candidates[np.argsort(-shifted[candidates], kind="stable")]
    return tuple(int(t) for t in order), tuple(float(shifted[t]) - log_total for t in order)
