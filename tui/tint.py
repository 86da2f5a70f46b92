"""How a token's numbers become a colour: the three tint modes of the transcript.

Probability and rank describe the chosen token; entropy describes the whole distribution it was
drawn from. Each maps onto the same red (surprising) to green (certain) scale so the modes read
alike, and each comes with a one-line legend for the transcript header.
"""

from __future__ import annotations

from rich.color import Color
from rich.style import Style

from engine.types import TokenStep

LOW = (150, 30, 40)  # unlikely / uncertain
MID = (140, 110, 20)
HIGH = (25, 95, 55)  # likely / certain
ENTROPY_SCALE = 4.0  # nats; at or above this a position counts as fully uncertain

LEGENDS = {
    "probability": "tint: probability of the chosen token (red low, green high)",
    "entropy": "tint: entropy of the distribution (green certain, red spread)",
    "rank": "tint: rank of the chosen token (green top-1, yellow 2nd, red lower)",
}


def _blend(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


def scale_color(goodness: float) -> Color:
    """0 = red, 0.5 = amber, 1 = green."""
    g = min(1.0, max(0.0, goodness))
    rgb = _blend(LOW, MID, g * 2) if g < 0.5 else _blend(MID, HIGH, (g - 0.5) * 2)
    return Color.from_rgb(*rgb)


def goodness(step: TokenStep, mode: str) -> float:
    if mode == "entropy":
        return 1.0 - min(step.entropy, ENTROPY_SCALE) / ENTROPY_SCALE
    if mode == "rank":
        return {0: 1.0, 1: 0.5, 2: 0.3}.get(step.rank, 0.0)
    return step.prob


def token_style(step: TokenStep, mode: str, cursor: bool = False) -> Style:
    style = Style(color="white", bgcolor=scale_color(goodness(step, mode)))
    if step.forced:
        style += Style(underline=True)
    if cursor:
        style = Style(color="black", bgcolor="white", bold=True)
    return style


def display_text(step: TokenStep, last: bool) -> str:
    """What a token shows as; empty pieces (end of turn, half a character) stay visible."""
    if step.text:
        return step.text.replace("\n", "⏎\n") if step.text.strip() == "" and "\n" in step.text else step.text
    return "∎" if last else "·"
