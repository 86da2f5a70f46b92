"""Mean, standard deviation and the t-based 95% interval summary.csv and report.html show.

Why its own module: the intervals must be right without scipy (not a dependency). The Student t
quantile comes from the exact closed form of the t distribution's CDF for whole degrees of
freedom (Abramowitz & Stegun 26.7.3-4), inverted by bisection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def t_central_probability(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with `df` >= 1 degrees of freedom, t >= 0."""
    theta = math.atan(t / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    if df % 2 == 1:
        term, total = c, c if df > 1 else 0.0
        for k in range(3, df - 1, 2):
            term *= c * c * (k - 1) / k
            total += term
        return 2 / math.pi * (theta + s * total)
    term = total = 1.0
    for k in range(2, df - 1, 2):
        term *= c * c * (k - 1) / k
        total += term
    return s * total


def t_quantile(confidence: float, df: int) -> float:
    """The t such that P(|T| < t) = confidence (0.95 -> 12.706 at df 1, 1.96 as df grows)."""
    low, high = 0.0, 1.0
    while t_central_probability(high, df) < confidence:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if t_central_probability(mid, df) < confidence else (low, mid)
    return (low + high) / 2


@dataclass(frozen=True)
class Estimate:
    mean: float
    sd: float | None       # sample standard deviation (n - 1); None for one value
    n: int
    low: float | None      # mean -+ t(0.975, n - 1) * sd / sqrt(n); None for one value
    high: float | None


def estimate(values: Sequence[float], confidence: float = 0.95,
             bounds: tuple[float, float] = (-math.inf, math.inf)) -> Estimate:
    """The mean of finite `values` with its t-based interval (non-finite values are left out),
    the interval cut to `bounds`, the range the measure can take (a probability's [0, 1]: a
    t-interval of five probabilities near 0 would otherwise reach below 0)."""
    finite = [v for v in values if math.isfinite(v)]
    n = len(finite)
    if n == 0:
        return Estimate(math.nan, None, 0, None, None)
    mean = math.fsum(finite) / n
    if n == 1:
        return Estimate(mean, None, 1, None, None)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in finite) / (n - 1))
    half = t_quantile(confidence, n - 1) * sd / math.sqrt(n)
    low, high = bounds
    return Estimate(mean, sd, n, max(low, mean - half), min(high, mean + half))
