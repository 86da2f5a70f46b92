import math

import numpy as np
import pytest

from engine.distribution import log_softmax, summarise


@pytest.fixture
def logits():
    rng = np.random.default_rng(7)
    return (rng.standard_normal(49152) * 4).astype(np.float32)


def test_summary_matches_a_full_log_softmax(logits):
    reference = log_softmax(logits)
    chosen = int(np.argsort(reference)[-5])  # the 5th most likely token
    s = summarise(logits, chosen, 10)
    assert s.logprob == pytest.approx(reference[chosen], abs=1e-5)
    assert s.rank == 4
    probs = np.exp(reference)
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    assert s.entropy == pytest.approx(float(-(probs * reference).sum()), abs=1e-4)
    expected_top = np.argsort(-reference, kind="stable")[:10]
    assert list(s.top_ids) == [int(t) for t in expected_top]
    assert list(s.top_logprobs) == pytest.approx([float(reference[t]) for t in expected_top], abs=1e-5)
    assert all(a >= b for a, b in zip(s.top_logprobs, s.top_logprobs[1:], strict=False))


def test_peaked_distribution_has_near_zero_entropy():
    logits = np.full(1000, -50.0, dtype=np.float32)
    logits[3] = 50.0
    s = summarise(logits, 3, 3)
    assert s.logprob == pytest.approx(0.0, abs=1e-6)
    assert s.entropy == pytest.approx(0.0, abs=1e-6)
    assert s.top_ids[0] == 3 and s.rank == 0


def test_uniform_distribution_entropy_is_log_n():
    s = summarise(np.zeros(256, dtype=np.float32), 0, 5)
    assert s.entropy == pytest.approx(math.log(256), abs=1e-9)
    assert s.logprob == pytest.approx(-math.log(256))


def test_top_k_zero_and_larger_than_vocab():
    logits = np.arange(5, dtype=np.float32)
    assert summarise(logits, 0, 0).top_ids == ()
    assert summarise(logits, 0, 50).top_ids == (4, 3, 2, 1, 0)


def test_entropy_is_finite_when_some_logits_are_minus_infinity():
    # A grammar or logit bias masks tokens with -inf; 0 * -inf must not turn the entropy NaN.
    logits = np.array([0.0, 0.0, -np.inf, -np.inf], dtype=np.float32)
    s = summarise(logits, 0, 4)
    assert s.entropy == pytest.approx(math.log(2), abs=1e-6)
    assert s.logprob == pytest.approx(-math.log(2), abs=1e-6)
    assert set(s.top_ids[:2]) == {0, 1} and s.top_logprobs[2] == -math.inf
    masked = summarise(logits, 3, 2)
    assert masked.logprob == -math.inf and masked.rank == 2
