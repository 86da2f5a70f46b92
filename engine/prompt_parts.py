"""Which parts of a rendered prompt came from whom: the messages, the template's markup, or the template's own words.

A chat template does more than wrap messages in role headers: SmolLM2's adds "You are a helpful
AI assistant named SmolLM, trained by Hugging Face" when there is no system message, Llama 3's
adds "Cutting Knowledge Date: ..." to every prompt. The rendered text alone does not say which
words nobody wrote, so `split_prompt` finds each message's content in the rendered text, in
order, and classifies what lies between: special tokens, role headers and the whitespace around
them are markup; any other words are text the template injected. Pure string work, no model.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .chat_template import conversation
from .types import Message, SystemPrompt


class PartKind(str, enum.Enum):
    MESSAGE = "message"  # a message's content, as written (system, user or assistant)
    MARKUP = "markup"  # special tokens, role headers, separators
    INJECTED = "injected"  # words the template added that are in no message


@dataclass(frozen=True)
class PromptPart:
    kind: PartKind
    text: str
    role: str = ""  # for MESSAGE parts: whose content it is


@dataclass(frozen=True)
class PromptSplit:
    """The rendered prompt cut into parts whose texts join back into it exactly."""

    parts: tuple[PromptPart, ...]
    unmatched: tuple[int, ...] = ()  # indices (in the template's message list) not found verbatim

    @property
    def text(self) -> str:
        return "".join(part.text for part in self.parts)

    @property
    def injected(self) -> tuple[str, ...]:
        """Each run of injected text, stripped: what the template said that nobody wrote."""
        return tuple(p.text.strip() for p in self.parts if p.kind is PartKind.INJECTED)


# Special tokens as templates spell them: <|im_start|>, <|eot_id|>, <s>, </s>, <start_of_turn>,
# [INST], <<SYS>>. Only ever matched outside message contents (and inside them only to tell a
# header from a content, see _markup_spans).
_SPECIAL = re.compile(r"<\|[^\s<>|]*\|>|<</?[A-Z]+>>|\[/?[A-Z_]+\]|</?[A-Za-z_][\w-]*>")
_ROLES = {"system", "user", "assistant", "model", "tool", "ipython", "developer"}
_WORD = re.compile(r"[A-Za-z_]+")


def _markup_spans(text: str, specials: Sequence[str] = ()) -> list[tuple[int, int]]:
    """(start, end) of each special token and role header in `text`, in order.

    A role header is a word right after a special token (`<|im_start|>user`) that a special
    token, a line end, a colon or the end of `text` follows, or a known role name at the start of
    a line followed by a colon (`user: ` in the fallback format).
    """
    spans = [(m.start(), m.end()) for m in _SPECIAL.finditer(text)]
    for token in specials:
        if token:
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(token), text)]
    spans = _merge(spans)
    starts = {end for _, end in spans}  # positions right after a special token
    headers = []
    for m in _WORD.finditer(text):
        start, end = m.span()
        closed = end == len(text) or text[end] in "\n:" or any(s == end for s, _ in spans)
        at_line_start = start == 0 or text[start - 1] == "\n"
        role_colon = at_line_start and m.group().lower() in _ROLES and text[end:end + 1] == ":"
        if (start in starts and closed) or role_colon:
            headers.append((start, end))
    return _merge(spans + headers)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _find(text: str, needle: str, start: int, markup: list[tuple[int, int]]) -> int:
    """The first occurrence of `needle` at or after `start` that is not part of the markup
    (a content "user" is not the header `user`); else the first occurrence; -1 if none."""
    first = -1
    at = text.find(needle, start)
    while at >= 0:
        if first < 0:
            first = at
        if not any(_clashes(at, at + len(needle), s, e) for s, e in markup):
            return at
        at = text.find(needle, at + 1)
    return first


def _clashes(start: int, end: int, s: int, e: int) -> bool:
    """Whether a content found at [start, end) cannot be there given the markup span [s, e):
    it lies inside the span, or the span straddles one of its ends."""
    inside = s <= start and end <= e
    straddles = s < end and start < e and not (start <= s and e <= end)
    return inside or straddles


def _gap_parts(text: str, start: int, end: int, markup: list[tuple[int, int]]) -> list[PromptPart]:
    """Classify text[start:end], which lies between message contents."""
    pieces: list[tuple[PartKind, str]] = []
    pos = start
    for s, e in markup:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > pos:
            pieces += _words(text[pos:s])
        pieces.append((PartKind.MARKUP, text[s:e]))
        pos = e
    if pos < end:
        pieces += _words(text[pos:end])
    # Separators glued to a header (": ") are markup; whitespace between injected words is injected.
    out: list[tuple[PartKind, str]] = []
    for n, (kind, piece) in enumerate(pieces):
        if kind is PartKind.INJECTED and re.fullmatch(r"[:\s]*", piece) and piece:
            before = out[-1][0] if out else None
            after = next((k for k, p in pieces[n + 1:] if not p.isspace()), None)
            if not (before is PartKind.INJECTED and after is PartKind.INJECTED and piece.isspace()):
                kind = PartKind.MARKUP
        out.append((kind, piece))
    return [PromptPart(kind, piece) for kind, piece in out]


def _words(chunk: str) -> list[tuple[PartKind, str]]:
    """Text outside the markup, cut into whitespace runs and everything else (injected words)."""
    return [(PartKind.INJECTED, m.group()) for m in re.finditer(r"\s+|\S+(?:[^\S\n]+\S+)*", chunk)]


def split_prompt(text: str, system: SystemPrompt, messages: Sequence[Message],
                 specials: Sequence[str] = ()) -> PromptSplit:
    """Cut the rendered prompt `text` into message contents, markup and injected text.

    `system` and `messages` are what was rendered (the system prompt mode decides whether a
    system message went to the template); `specials` are extra special-token spellings (the
    model's BOS/EOS) to count as markup. Each message's content is looked for in order, as
    written, then stripped (templates often `trim` it); one not found is listed in `unmatched`
    and its text is classified like the template's own.
    """
    contents = conversation(system, tuple(messages))
    markup = _markup_spans(text, specials)
    found: list[tuple[int, int, str]] = []
    unmatched: list[int] = []
    pos = 0
    for index, message in enumerate(contents):
        content = message["content"]
        if not content.strip():
            continue  # an empty message leaves nothing of its own to find
        for needle in dict.fromkeys((content, content.strip())):
            at = _find(text, needle, pos, markup)
            if at >= 0:
                found.append((at, at + len(needle), message["role"]))
                pos = at + len(needle)
                break
        else:
            unmatched.append(index)
    parts: list[PromptPart] = []
    pos = 0
    for start, end, role in found:
        parts += _gap_parts(text, pos, start, markup)
        parts.append(PromptPart(PartKind.MESSAGE, text[start:end], role))
        pos = end
    parts += _gap_parts(text, pos, len(text), markup)
    return PromptSplit(_joined(parts), tuple(unmatched))


def _joined(parts: list[PromptPart]) -> tuple[PromptPart, ...]:
    """Adjacent parts of one kind (and role) as one part; empty parts dropped."""
    out: list[PromptPart] = []
    for part in parts:
        if not part.text:
            continue
        if out and out[-1].kind is part.kind and out[-1].role == part.role and part.kind is not PartKind.MESSAGE:
            out[-1] = PromptPart(part.kind, out[-1].text + part.text, part.role)
        else:
            out.append(part)
    return tuple(out)
