"""How every view marks numbers computed over a remote engine's top-k plus a rest bucket.

A remote engine usually reports only the k most likely tokens at each position, so a step's
entropy (and the effective vocabulary exp(entropy)) is a lower bound, and the rank of a chosen
token outside those k is too (`TokenStep.distribution == "top-k+rest"`, docs/remote.md). Every
place that shows these numbers (the TUI's inspector, plot and status bar, the live compare
screen, the Markdown and HTML exports, `session show`, the battery summary and report) uses the
words here, so the marker reads the same everywhere: "≥" before a bound, and one legend line.
A "full" step gets no marker at all: local output stays exactly as it was.

Pure formatting of engine values; no textual.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.types import DISTRIBUTION_FULL, DISTRIBUTION_TOP_K, TokenStep

BOUND = "≥"  # before an entropy or rank that is a lower bound
APPROXIMATE = "≈"  # before a divergence computed over two top-k reports (remote compare)
LEGEND = "≥: over a remote engine's top-k + rest, a lower bound (top-1 exact)"
COMPARE_LEGEND = "≈: KL/JS over the lanes' top-k + rest (a remote engine's), approximate"
MIXED = "mixed"


def approximate(step: TokenStep) -> bool:
    """True when the step's entropy and rank were computed over a top-k plus a rest bucket."""
    return step.distribution != DISTRIBUTION_FULL


def any_approximate(steps: Iterable[TokenStep]) -> bool:
    return any(approximate(s) for s in steps)


def distribution_of(steps: Iterable[TokenStep]) -> str:
    """"full" when every step is (no steps too), "top-k+rest" when every step is, else "mixed"."""
    kinds = {s.distribution for s in steps}
    if not kinds or kinds == {DISTRIBUTION_FULL}:
        return DISTRIBUTION_FULL
    return kinds.pop() if len(kinds) == 1 else MIXED


def bound(step: TokenStep) -> str:
    """The entropy's prefix: "≥" for an approximate step, "" for a full one."""
    return BOUND if approximate(step) else ""


def entropy_text(step: TokenStep, digits: int = 2) -> str:
    """`1.23` (full) or `≥1.23` (top-k + rest)."""
    return f"{bound(step)}{step.entropy:.{digits}f}"


def rank_bounded(step: TokenStep) -> bool:
    """The rank is a lower bound: an approximate step whose chosen token is not among its top-k
    (it may lie outside what the server reported, where rank = the number reported)."""
    return approximate(step) and all(a.id != step.id for a in step.top)


def rank_text(step: TokenStep) -> str:
    """`3` or `≥20`."""
    return f"{BOUND if rank_bounded(step) else ''}{step.rank}"


__all__ = ["APPROXIMATE", "BOUND", "COMPARE_LEGEND", "DISTRIBUTION_FULL", "DISTRIBUTION_TOP_K", "LEGEND",
           "MIXED", "any_approximate", "approximate", "bound", "distribution_of", "entropy_text",
           "rank_bounded", "rank_text"]
