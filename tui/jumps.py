"""Jump keys: which positions of an answer are worth a look, and the next or previous one of them.

A long answer is mostly confident tokens; the interesting ones are where the model hesitated
(entropy above a threshold), where the chosen token was unlikely (p below a threshold) or where
the sampler drew something other than the top-1 (rank > 0). The screens move the token cursor
with these functions (shift+→ / shift+←) and cycle the criterion (ctrl+j); the thresholds come
from the config file's `[explore]` table. Plain functions over TokenSteps, without Textual, so
the matching is tested on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from engine.types import TokenStep

CRITERIA = ("entropy", "prob", "rank")
"""The jump criteria in the order ctrl+j cycles them."""


@dataclass(frozen=True)
class JumpThresholds:
    """The `[explore]` table: a position matches "entropy" when its entropy (nats) is above
    `entropy_above`, "prob" when the chosen token's probability is below `prob_below`."""

    entropy_above: float = 2.0
    prob_below: float = 0.2


def next_criterion(kind: str) -> str:
    return CRITERIA[(CRITERIA.index(kind) + 1) % len(CRITERIA)] if kind in CRITERIA else CRITERIA[0]


def matches(step: TokenStep, kind: str, thresholds: JumpThresholds) -> bool:
    """Whether one position meets the criterion (a NaN entropy never does)."""
    if kind == "entropy":
        return not math.isnan(step.entropy) and step.entropy > thresholds.entropy_above
    if kind == "prob":
        return step.prob < thresholds.prob_below
    if kind == "rank":
        return step.rank > 0
    raise ValueError(f"unknown jump criterion {kind!r} (one of {', '.join(CRITERIA)})")


def matching_positions(steps: Sequence[TokenStep], kind: str, thresholds: JumpThresholds) -> list[int]:
    return [n for n, step in enumerate(steps) if matches(step, kind, thresholds)]


def jump_target(steps: Sequence[TokenStep], pos: int | None, direction: int, kind: str,
                thresholds: JumpThresholds) -> int | None:
    """The nearest matching position after `pos` (direction 1) or before it (-1); None when
    there is none that way. `pos` None: from outside the answer (the first match going forward,
    the last going back)."""
    if pos is None:
        pos = -1 if direction > 0 else len(steps)
    order = range(pos + 1, len(steps)) if direction > 0 else range(min(pos, len(steps)) - 1, -1, -1)
    return next((n for n in order if matches(steps[n], kind, thresholds)), None)


def describe(kind: str, thresholds: JumpThresholds) -> str:
    """The criterion in a few characters: `entropy > 2`, `p < 0.2`, `rank > 0`."""
    if kind == "entropy":
        return f"entropy > {thresholds.entropy_above:g}"
    if kind == "prob":
        return f"p < {thresholds.prob_below:g}"
    return "rank > 0"


def status_text(kind: str, thresholds: JumpThresholds, steps: Sequence[TokenStep] | None) -> str:
    """What the status line says: the criterion, and with an answer under the cursor how many of
    its positions match (`jump: p < 0.2 · 3/41`)."""
    text = f"jump: {describe(kind, thresholds)}"
    if steps is None:
        return text
    return f"{text} · {len(matching_positions(steps, kind, thresholds))}/{len(steps)}"


def no_match_notice(kind: str, thresholds: JumpThresholds, direction: int, any_match: bool) -> str:
    """Why the cursor did not move."""
    if not any_match:
        return f"No position in this answer has {describe(kind, thresholds)}."
    where = "after" if direction > 0 else "before"
    return f"No position {where} this one has {describe(kind, thresholds)}."
