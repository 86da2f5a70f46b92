"""One answer in the transcript: the active branch of a turn, every token tinted, one under a cursor.

The answer is cut into paragraphs at tokens that end a line, each its own widget. While an
answer streams only its last paragraph changes, so a frame re-renders a few lines however long
the answer has grown; a tint change or a cursor move re-renders only the paragraphs it touches.
Each paragraph is a textual Content with one span per run of look-alike tokens.

The header says which branch this is and what produced it (tui/turn_config.py): system prompt,
adapters, sampling and seed, prior turns and prompt tokens, fork and finish reason, cut between
parts into lines that fit the answer's width (re-cut when the width changes; a narrow answer
drops the "answer" label rather than take a third line).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.content import Content, Span
from textual.style import Style
from textual.widgets import Static

from engine.types import TokenStep

from ..conversation import Branch, Turn
from ..tint import display_text, token_style
from ..turn_config import branch_config, compact_parts, wrap_parts

HEADER_STYLE = Style(dim=True, italic=True)
DEFAULT_WIDTH = 76  # before the first layout
ERROR_STYLE = Style(foreground=Color(255, 80, 80), bold=True)


def paragraphs(steps: list[TokenStep]) -> list[tuple[int, int]]:
    """(start, end) step ranges, each ending after a token whose text ends a line."""
    ranges, start = [], 0
    for n, step in enumerate(steps):
        if step.text.endswith("\n"):
            ranges.append((start, n + 1))
            start = n + 1
    if start < len(steps):
        ranges.append((start, len(steps)))
    return ranges


def paragraph_content(branch: Branch, start: int, end: int, tint: str, cursor: int | None,
                      error: str = "") -> Content:
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    last = len(branch.steps) - 1
    for n in range(start, end):
        step = branch.steps[n]
        piece = display_text(step, n == last and branch.finished)
        if n == end - 1 and piece.endswith("\n"):
            piece = piece[:-1]  # the next paragraph starts on its own line anyway
        style = token_style(step, tint, n == cursor)
        stop = pos + len(piece)
        if spans and spans[-1].style is style and spans[-1].end == pos:  # merge look-alikes
            spans[-1] = Span(spans[-1].start, stop, style)
        elif piece:
            spans.append(Span(pos, stop, style))
        parts.append(piece)
        pos = stop
    if error:
        message = f"⚠ {error}"
        if parts:
            message = "\n" + message
        parts.append(message)
        spans.append(Span(pos, pos + len(message), ERROR_STYLE))
    return Content("".join(parts), spans, strip_control_codes=False)


class Paragraph(Static):
    """A run of tokens up to a line end; re-rendered only when its key changes."""

    key: tuple | None = None

    def show(self, key: tuple, content: Content) -> None:
        self.key = key
        self.content_ = content
        self.update(content, layout=False)
        width = self.content_size.width
        if not width or self.get_content_height(self.size, self.app.size, width) != self.content_size.height:
            self.refresh(layout=True)  # only when the paragraph's height changed


class AnswerView(Vertical):
    DEFAULT_CSS = """
    AnswerView { height: auto; }
    AnswerView > Static { height: auto; }
    """

    def __init__(self, turn: Turn, turn_index: int) -> None:
        super().__init__(classes="answer")
        self.turn = turn
        self.turn_index = turn_index
        self.header = Static("", classes="answer-header")
        self._header_text = ""
        self._header_width = 0

    def compose(self) -> ComposeResult:
        yield self.header

    @property
    def text(self) -> Content:
        """The whole answer as one Content (for tests and copying)."""
        parts = [Content(self._header_text)] + [p.content_ for p in self.query(Paragraph)]
        return Content("\n").join(parts)

    def header_parts(self) -> list[str]:
        """Which branch, what produced it, how it ended: the header's parts in order."""
        turn, branch = self.turn, self.turn.answer
        if branch is None:
            return []
        parts = ["answer", f"branch {turn.active + 1}/{len(turn.branches)}"]
        if branch.fork_at is not None:
            parts.append(f"forked from {(branch.parent or 0) + 1} at token {branch.fork_at}")
        config = branch_config(branch, fresh=turn.fresh)
        if config is not None:
            parts += compact_parts(config, streaming=not branch.finished)
        parts.append(branch.finish_reason if branch.finished else "generating…")
        return parts

    def _width(self) -> int:
        return self.header.content_size.width or self.content_size.width or DEFAULT_WIDTH

    def render_header(self) -> None:
        width = self._width()
        parts = self.header_parts()
        lines = wrap_parts(parts, width)
        if len(lines) > 2:  # narrow: the "answer" label goes first
            lines = wrap_parts(parts[1:], width)
        header = "\n".join(lines)
        if header != self._header_text:
            lines_changed = header.count("\n") != self._header_text.count("\n")
            self._header_text = header
            self.header.update(Content.styled(header, HEADER_STYLE), layout=lines_changed)
        self._header_width = width

    def on_resize(self) -> None:
        if self.turn.answer is not None and self._width() != self._header_width:
            self.render_header()

    def render_answer(self, tint: str, cursor: int | None) -> None:
        branch = self.turn.answer
        if branch is None:
            return
        self.render_header()
        ranges = paragraphs(branch.steps) or ([(0, 0)] if branch.error else [])
        widgets = list(self.query(Paragraph))
        for n, (start, end) in enumerate(ranges):
            final = n == len(ranges) - 1
            here = cursor if cursor is not None and start <= cursor < end else None
            error = branch.error if final else ""
            key = (id(branch), start, end, tint, here, final and branch.finished, error)
            if n < len(widgets):
                if widgets[n].key != key:
                    widgets[n].show(key, paragraph_content(branch, start, end, tint, here, error))
            else:
                paragraph = Paragraph()
                paragraph.key = key
                paragraph.content_ = paragraph_content(branch, start, end, tint, here, error)
                paragraph.update(paragraph.content_)
                self.mount(paragraph)
        for extra in widgets[len(ranges):]:
            extra.remove()
