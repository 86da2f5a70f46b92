"""Percentiles of keystroke-to-screen latencies, for the TUI benchmark's JSON.

A median alone hides the frames a person notices: a key that waits behind a long render. The
summary gives the tail too, with linear interpolation between the sorted samples (numpy's
default), so a handful of keys from a short generation still give defined numbers.
"""

from __future__ import annotations

QUANTILES = {"p50": 0.50, "p90": 0.90, "p99": 0.99}


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-quantile (0..1) of non-empty ascending values, interpolated linearly."""
    position = q * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def latency_summary(latencies_ms: list[float]) -> dict[str, float | None]:
    """{"p50", "p90", "p99", "max", "mean"} in ms, rounded to 0.1; all None without a sample."""
    if not latencies_ms:
        return {name: None for name in (*QUANTILES, "max", "mean")}
    values = sorted(latencies_ms)
    out: dict[str, float | None] = {name: round(percentile(values, q), 1) for name, q in QUANTILES.items()}
    out["max"] = round(values[-1], 1)
    out["mean"] = round(sum(values) / len(values), 1)
    return out
