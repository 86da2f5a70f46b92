"""Modals that show a block of text to read and copy: engine errors and the rendered prompt.

The text sits in a read-only TextArea so it can be selected and copied (ctrl+c) as is; special
tokens and the tail of llama.cpp's log are shown verbatim. The prompt modal shows the prompt
marked instead (your text plain, template markup dim, text the chat template added highlighted),
with the configuration that made it above; `r` switches to the raw text in a TextArea and `c`
copies the exact prompt to the clipboard.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Vertical, VerticalScroll
from textual.content import Content, Span
from textual.screen import ModalScreen
from textual.style import Style
from textual.widgets import Footer, Static, TextArea

from engine.errors import EngineError
from engine.prompt_parts import PartKind, PromptSplit

from ..prompt_report import PromptReport

MARKUP_STYLE = Style(dim=True)
INJECTED_STYLE = Style(foreground=Color(20, 20, 20), background=Color(240, 190, 70), bold=True)
FORCED_STYLE = Style(underline=True, italic=True)
LABEL_STYLE = Style(bold=True)


class TextModal(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="modal_close"),
    ]

    def __init__(self, title: str, summary: str, body: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title_text, self.summary, self.body = title, summary, body

    def compose(self) -> ComposeResult:
        with Vertical(id="modal-box") as box:
            box.border_title = Content(self.title_text)  # engine text: never markup
            yield Static(Content(self.summary), id="modal-summary")
            if self.body:
                yield TextArea(self.body, read_only=True, soft_wrap=True, id="modal-body")
        yield Footer()

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


class ErrorModal(TextModal):
    """An engine error: its title, what to do about it, and the details (log tail) to copy."""

    DEFAULT_CLASSES = "error"

    @classmethod
    def from_error(cls, error: BaseException) -> ErrorModal:
        if isinstance(error, EngineError):
            return cls(error.title, error.msg, error.details)
        return cls("Unexpected error", f"{type(error).__name__}: {error}", "")


def marked_prompt(split: PromptSplit, forced: str = "") -> Content:
    """The prompt exactly, each part styled by who wrote it; a fork's forced tokens after it."""
    styles = {PartKind.MARKUP: MARKUP_STYLE, PartKind.INJECTED: INJECTED_STYLE}
    text, spans, pos = "", [], 0
    for part in split.parts:
        style = styles.get(part.kind)
        if style is not None:
            spans.append(Span(pos, pos + len(part.text), style))
        text += part.text
        pos += len(part.text)
    if forced:
        spans.append(Span(pos, pos + len(forced), FORCED_STYLE))
        text += forced
    return Content(text, spans, strip_control_codes=False)


def legend(split: PromptSplit, forced: str) -> Content:
    parts: list[str | tuple[str, Style]] = ["your text (the messages) · ", ("template markup", MARKUP_STYLE),
                                           " · ", ("added by the chat template", INJECTED_STYLE)]
    if forced:
        parts += [" · ", ("forced tokens of the branch", FORCED_STYLE)]
    if not split.injected:
        parts.append(" (nothing added here)")
    if split.unmatched:
        parts.append(f" · ⚠ {len(split.unmatched)} message(s) not found as written: the template "
                     "changed them, so their text is marked as the template's")
    return Content.assemble(*parts)


def details_content(report: PromptReport) -> Content:
    width = max((len(label) for label, _ in report.details), default=0)
    lines = [Content(report.note)]
    lines += [Content.assemble((label.ljust(width), LABEL_STYLE), "  ", value)  # values are user text
              for label, value in report.details]
    return Content("\n").join(lines)


class MarkedPrompt(Static):
    """The prompt marked by who wrote each part; `text` is the exact prompt."""

    def __init__(self, report: PromptReport, **kwargs) -> None:
        super().__init__(marked_prompt(report.split, report.forced), **kwargs)
        self.text = report.text


class PromptModal(TextModal):
    """The exact prompt of a turn (or of the next message), marked, with its full configuration."""

    BINDINGS = [
        Binding("r", "toggle_raw", "Raw text", id="prompt_raw",
                tooltip="Switch between the marked prompt and the raw text (select and ctrl+c)"),
        Binding("c", "copy_prompt", "Copy", id="prompt_copy", tooltip="Copy the exact prompt to the clipboard"),
    ]

    def __init__(self, report: PromptReport, **kwargs) -> None:
        super().__init__(report.title, report.note, report.text, **kwargs)
        self.report = report

    def compose(self) -> ComposeResult:
        report = self.report
        with Vertical(id="modal-box") as box:
            box.border_title = Content(report.title)
            yield Static(details_content(report), id="modal-summary")
            yield Static(legend(report.split, report.forced), id="prompt-legend")
            with VerticalScroll(id="prompt-marked"):
                yield MarkedPrompt(report, id="modal-body")
            raw = TextArea(report.text, read_only=True, soft_wrap=True, id="prompt-raw")
            raw.display = False
            yield raw
        yield Footer()

    def action_toggle_raw(self) -> None:
        raw = self.query_one("#prompt-raw", TextArea)
        raw.display = not raw.display
        self.query_one("#prompt-marked").display = not raw.display
        self.query_one("#prompt-legend").display = not raw.display
        if raw.display:
            raw.focus()

    def action_copy_prompt(self) -> None:
        self.app.copy_to_clipboard(self.report.text)
        self.notify(f"Copied the exact prompt ({len(self.report.text)} characters).", timeout=3)
