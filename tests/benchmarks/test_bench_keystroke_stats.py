"""Keystroke latency percentiles: interpolated like numpy's, defined for a handful of samples."""

from __future__ import annotations

import numpy as np
from keystroke_stats import latency_summary


def test_percentiles_match_numpys_linear_interpolation():
    samples = [31.0, 12.5, 80.2, 44.1, 19.9, 250.0, 27.3]
    summary = latency_summary(samples)
    for name, q in (("p50", 50), ("p90", 90), ("p99", 99)):
        assert summary[name] == round(float(np.percentile(samples, q)), 1)
    assert summary["max"] == 250.0
    assert summary["mean"] == round(sum(samples) / len(samples), 1)


def test_one_sample_and_none():
    assert latency_summary([40.0]) == {"p50": 40.0, "p90": 40.0, "p99": 40.0, "max": 40.0, "mean": 40.0}
    assert set(latency_summary([]).values()) == {None}
