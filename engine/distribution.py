"""Next-token distributions computed by us, from one row of logits, over the whole vocabulary.

llama.cpp keeps only the last position's logits (we never ask for `logits_all`); after each decode
the worker hands that row to `summarise`, which does a numerically stable log-softmax, the entropy
in nats, the chosen token's log-probability and rank, and the top-k by argpartition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DistributionSummary:
    logprob: float  # of the chosen token
    entropy: float  # nats, over the whole vocabulary
    rank: int  # number of tokens strictly more likely than the chosen one
    top_ids: tuple[int, ...]  # most likely first
    top_logprobs: tuple[float, ...]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Full log-softmax (used by tests and scorers; `summarise` avoids materialising it)."""
    shifted = logits.astype(np.float64) - float(np.max(logits))
    return shifted - np.log(np.sum(np.exp(shifted)))


def summarise(logits: np.ndarray, chosen: int, k: int) -> DistributionSummary:
    """Summarise `logits` (1-D float32, length n_vocab) for the token `chosen`.

    Works in float64 for the reductions; costs a few hundred microseconds for a 50k vocabulary.
    """
    peak = float(logits.max())
    shifted = logits - np.float32(peak)
    weights = np.exp(shifted, dtype=np.float64)
    total = float(weights.sum())
    log_total = float(np.log(total))
    entropy = log_total - float(np.dot(weights, shifted)) / total
    chosen_shifted = float(shifted[chosen])
    rank = int(np.count_nonzero(shifted > shifted[chosen]))
    k = max(0, min(int(k), logits.shape[0]))
    if k:
        candidates = np.argpartition(shifted, -k)[-k:]
        order = candidates[np.argsort(-shifted[candidates], kind="stable")]
        top_ids = tuple(int(t) for t in order)
        top_logprobs = tuple(float(shifted[t]) - log_total for t in order)
    else:
        top_ids, top_logprobs = (), ()
    return DistributionSummary(
        logprob=chosen_shifted - log_total,
        entropy=max(0.0, entropy),
        rank=rank,
        top_ids=top_ids,
        top_logprobs=top_logprobs,
    )
