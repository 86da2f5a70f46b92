"""How a token's numbers become a colour: the three tint modes of the transcript.

Probability and rank describe the chosen token; entropy describes the whole distribution it was
drawn from. Each maps onto the same red (surprising) to green (certain) scale so the modes read
alike, and each comes with a one-line legend for the transcript header. Styles are quantised to
a few levels and cached: a long answer is re-rendered every frame while it streams.
"""

from __future__ import annotations

from functools import cache

from textual.color import Color
from textual.style import Style

from engine.types import TokenStep

LOW = (150, 30, 40)  # unlikely / uncertain
MID = (140, 110, 20)
HIGH = (25, 95, 55)  # likely / certain
LEVELS = 24
ENTROPY_SCALE = 4.0  # nats; at or above this a position counts as fully uncertain
WHITE, BLACK = Color(255, 255, 255), Color(0, 0, 0)

LEGENDS = {
    "probability": "tint: probability of the chosen token (red low, green high)",
    "entropy": "tint: entropy of the distribution (green certain, red spread)",
    "rank": "tint: rank = tokens more likely (green 0, amber 1-2, red 3+)",
}


def _blend(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def scale_color(goodness: float) -> Color:
    """0 = red, 0.5 = amber, 1 = green."""
    g = min(1.0, max(0.0, goodness))
    rgb = _blend(LOW, MID, g * 2) if g < 0.5 else _blend(MID, HIGH, (g - 0.5) * 2)
    return Color(*rgb)


def goodness(step: TokenStep, mode: str) -> float:
    if mode == "entropy":
        return 1.0 - min(step.entropy, ENTROPY_SCALE) / ENTROPY_SCALE
    if mode == "rank":
        return {0: 1.0, 1: 0.5, 2: 0.3}.get(step.rank, 0.0)
    return step.prob


@cache
def _style(level: int, forced: bool, cursor: bool) -> Style:
    if cursor:
        return Style(background=WHITE, foreground=BLACK, bold=True)
    return Style(background=scale_color(level / LEVELS), foreground=WHITE, underline=forced or None)


def token_style(step: TokenStep, mode: str, cursor: bool = False) -> Style:
    """The same Style object for tokens that look the same, so adjacent spans can merge."""
    return _style(round(min(1.0, max(0.0, goodness(step, mode))) * LEVELS), step.forced, cursor)


_CONTROL = {c: 0x2400 + c for c in range(32) if c != 10}  # control pictures, newline kept


def display_text(step: TokenStep, last: bool) -> str:
    """What a token shows as; empty pieces (end of turn, half a character) stay visible."""
    if not step.text:
        return "∎" if last else "·"
    text = step.text.translate(_CONTROL)
    if "\n" in text and text.strip() == "":
        return text.replace("\n", "⏎\n")
    return text
