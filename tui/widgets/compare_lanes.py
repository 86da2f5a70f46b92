"""The compare screen's side-by-side answers and the divergence strip between them.

A LaneColumn is one configuration's answer, every token tinted by its probability as the chat
tints it (tui/tint.py), the position under the cursor reversed and the first position where the
chosen tokens differ underlined. The DivergenceStrip has one glyph per position: how far apart the
lanes' distributions are there (the largest JS of any pair, against the config's thresholds) and
a cross where the chosen tokens differ; the cursor's glyph is reversed. Both are redrawn from a
LiveComparison (tui/compare_model.py) once per frame while the comparison streams.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.color import Color
from textual.containers import VerticalScroll
from textual.content import Content, Span
from textual.style import Style
from textual.widgets import Static

from engine.types import TokenStep

from ..compare_model import LiveComparison, Thresholds
from ..tint import display_text, token_style

FIRST_DIFFERENCE = Style(underline=True, bold=True)
GLYPHS = ("▁", "▄", "█", "×")  # calm, divergent, strongly divergent, the chosen tokens differ
GLYPH_STYLES = (Style(foreground=Color(110, 110, 110)), Style(foreground=Color(220, 170, 40)),
                Style(foreground=Color(230, 90, 40)), Style(foreground=Color(255, 70, 70), bold=True))
CURSOR = Style(reverse=True)


def lane_content(steps: list[TokenStep], cursor: int | None, first_difference: int | None,
                 finished: bool) -> Content:
    """One lane's tokens as a Content: tinted by probability, the cursor's token and the first
    difference marked."""
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    for n, step in enumerate(steps):
        piece = display_text(step, finished and n == len(steps) - 1)
        style = token_style(step, "probability", n == cursor)
        if n == first_difference:
            style = style + FIRST_DIFFERENCE
        if piece:
            spans.append(Span(pos, pos + len(piece), style))
        parts.append(piece)
        pos += len(piece)
    return Content("".join(parts), spans, strip_control_codes=False)


def strip_content(comparison: LiveComparison, thresholds: Thresholds, cursor: int | None) -> Content:
    """One glyph per position: GLYPHS by the position's level, the cursor's reversed."""
    text = []
    spans = []
    for n in range(comparison.positions):
        level = comparison.level(n, thresholds)
        text.append(GLYPHS[level])
        style = GLYPH_STYLES[level] + CURSOR if n == cursor else GLYPH_STYLES[level]
        spans.append(Span(n, n + 1, style))
    return Content("".join(text), spans)


class LaneColumn(VerticalScroll):
    """One lane's answer; `show` redraws it and keeps the cursor's token in view."""

    DEFAULT_CSS = """
    LaneColumn { width: 1fr; height: 1fr; border: round $primary-darken-2; }
    LaneColumn > Static { height: auto; }
    """

    def __init__(self, index: int, title: Content, **kwargs) -> None:
        super().__init__(id=f"lane-{index}", classes="compare-lane", **kwargs)
        self.index = index
        self.border_title = title
        self._key: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="lane-text")

    @property
    def text(self) -> Content:
        """What the column shows (tests read it)."""
        content = self.query_one(".lane-text", Static).content
        return content if isinstance(content, Content) else Content(str(content))

    def show(self, comparison: LiveComparison, cursor: int | None, first_difference: int | None,
             follow: bool) -> None:
        steps = comparison.lanes[self.index]
        finished = comparison.result is not None
        key = (len(steps), cursor, first_difference, finished)
        if key == self._key:
            return
        self._key = key
        content = lane_content(steps, cursor, first_difference, finished)
        self.query_one(".lane-text", Static).update(content)
        if follow:
            self.scroll_end(animate=False)
        elif cursor is not None and steps:
            self.call_after_refresh(self._scroll_to_share, min(cursor, len(steps) - 1) / len(steps))

    def _scroll_to_share(self, share: float) -> None:
        """Near the cursor's token: its share of the answer's tokens of the answer's height."""
        y = int(self.virtual_size.height * share) - self.size.height // 2
        self.scroll_to(y=max(0, y), animate=False)


class DivergenceStrip(Static):
    """A glyph per position: the divergence between the lanes there, and where their tokens differ."""

    DEFAULT_CSS = """
    DivergenceStrip { height: auto; max-height: 4; padding: 0 1; }
    """

    def show(self, comparison: LiveComparison, thresholds: Thresholds, cursor: int | None) -> None:
        self.update(strip_content(comparison, thresholds, cursor))
