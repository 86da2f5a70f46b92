"""Token steps from what a remote engine reports: the chosen token and the top-k, rarely more.

llama.cpp's server and OpenAI-compatible servers report, per position, the chosen token's
log-probability and the k most likely tokens' (all from the full-vocabulary softmax), but not
the rest of the distribution. Entropy and rank are then computed over those k plus one "rest"
bucket holding the mass they leave (1 - sum of their probabilities), and the step says so:
`distribution = "top-k+rest"`. Entropy over the bucket is a lower bound of the true entropy;
a chosen token outside the top-k gets rank k (at least k tokens were more likely). A report
covering the whole vocabulary gives the exact numbers, marked "full".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..types import DISTRIBUTION_FULL, DISTRIBUTION_TOP_K, TokenAlternative, TokenStep


def entropy_with_rest(logprobs: Sequence[float], full: bool) -> float:
    """Entropy (nats) of the reported probabilities, plus a rest bucket unless `full`."""
    probs = [math.exp(lp) for lp in logprobs if math.isfinite(lp)]
    entropy = -math.fsum(p * math.log(p) for p in probs if p > 0)
    rest = 0.0 if full else max(0.0, 1.0 - math.fsum(probs))
    if rest > 1e-12:
        entropy -= rest * math.log(rest)
    return max(0.0, entropy)


def remote_step(i: int, token: int, text: str, piece: bytes, logprob: float,
                reported: Sequence[TokenAlternative], k: int, full: bool,
                forced: bool = False) -> TokenStep:
    """The step for `token` from the alternatives a server reported (most likely first; more
    than `k` may be reported, all count for entropy and rank, the first `k` are kept as `top`)."""
    ordered = sorted(reported, key=lambda a: -a.logprob)
    rank = sum(1 for a in ordered if a.logprob > logprob and a.id != token)
    return TokenStep(
        i=i, id=token, text=text, piece=piece, logprob=logprob,
        entropy=entropy_with_rest([a.logprob for a in ordered], full),
        rank=rank, top=tuple(ordered[:k]), forced=forced,
        distribution=DISTRIBUTION_FULL if full else DISTRIBUTION_TOP_K,
    )
