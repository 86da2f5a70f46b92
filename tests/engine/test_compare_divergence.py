"""The comparison's arithmetic on hand-made distributions: KL both ways, JS bounded by ln 2, each
side's probability of the other's token, and the per-pair summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.compare.divergence import js, kl, pair_divergence, position_pairs, summarise_pairs
from engine.compare.types import CompareStep
from engine.distribution import log_softmax


def logs(*probs: float) -> np.ndarray:
    return np.log(np.array(probs, dtype=np.float64))


def test_kl_and_js_match_their_definitions():
    p, q = logs(0.5, 0.25, 0.25), logs(0.25, 0.25, 0.5)
    expected = 0.5 * math.log(2) + 0.25 * 0 + 0.25 * math.log(0.5)
    assert kl(p, q) == pytest.approx(expected) and kl(q, p) == pytest.approx(expected)
    m = np.log((np.exp(p) + np.exp(q)) / 2)
    assert js(p, q) == pytest.approx(0.5 * kl(p, m) + 0.5 * kl(q, m))
    assert kl(p, p) == 0.0 and js(p, p) == 0.0
    disjoint_p, disjoint_q = np.array([0.0, -np.inf]), np.array([-np.inf, 0.0])
    assert kl(disjoint_p, disjoint_q) == math.inf and js(disjoint_p, disjoint_q) == pytest.approx(math.log(2))


def test_a_pair_at_a_position_from_logits_rows():
    row_a = np.array([2.0, 1.0, 0.0, -1.0], dtype=np.float32)
    row_b = np.array([0.0, 1.0, 2.0, -1.0], dtype=np.float32)
    [pair] = position_pairs([row_a, row_b, None], [0, 2, None])  # the third lane has ended
    direct = pair_divergence(0, 1, log_softmax(row_a), log_softmax(row_b), 0, 2)
    assert pair == direct and pair.differ
    assert pair.logprob_a_of_b == pytest.approx(float(log_softmax(row_a)[2]))
    assert pair.kl_ab == pytest.approx(pair.kl_ba) and pair.kl_ab > 0  # mirror images


def test_the_summary_counts_differences_from_the_first_one():
    same = pair_divergence(0, 1, logs(0.9, 0.1), logs(0.8, 0.2), 0, 0)
    other = pair_divergence(0, 1, logs(0.4, 0.6), logs(0.9, 0.1), 1, 0)
    steps = [CompareStep(0, (None, None), (same,)), CompareStep(1, (None, None), (other,)),
             CompareStep(2, (None, None), ())]  # one lane ended before position 2
    [summary] = summarise_pairs(2, steps)
    assert summary.positions == 2 and summary.differing == 1 and summary.first_difference == 1
    assert summary.mean_kl_ab == pytest.approx((same.kl_ab + other.kl_ab) / 2)
    assert summary.mean_prob_a_of_b == pytest.approx((0.9 + 0.4) / 2)  # P_a of the token b chose
    assert summary.mean_prob_b_of_a == pytest.approx((0.8 + 0.1) / 2)
