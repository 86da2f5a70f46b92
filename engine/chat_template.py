"""Render a conversation into the exact prompt text the model receives.

We use the Jinja chat template stored in the GGUF (`tokenizer.chat_template`) in a sandboxed,
immutable Jinja environment with the same settings and helpers llama.cpp's Python bindings and
transformers use, so what the user sees under "rendered prompt" is what was tokenized. Templates
often add a default system prompt when none is given; rendering is the only way to see that.

A model without a template falls back to a documented plain format (see `FALLBACK_FORMAT`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import TemplateError
from .types import Message, SystemMode, SystemPrompt

FALLBACK_FORMAT = (
    "No chat template in the model: each message is rendered as '<role>: <content>\\n\\n' "
    "after the BOS token, ending with 'assistant:' to prompt the answer."
)


class _IgnoreGenerationTags(jinja2.ext.Extension):
    """Pass-through for Hugging Face's `{% generation %}` tag."""

    tags = {"generation"}

    def parse(self, parser: Any) -> Any:
        parser.stream.skip(1)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


def _tojson(x: Any, ensure_ascii: bool = False, indent: int | None = None,
            separators: Any = None, sort_keys: bool = False) -> str:
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                      separators=separators, sort_keys=sort_keys)


def _raise_exception(message: str) -> None:
    raise TemplateError(f"The chat template refused this conversation: {message}")


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def conversation(system: SystemPrompt, messages: tuple[Message, ...]) -> list[dict[str, str]]:
    """The message list for the template, applying the system prompt mode."""
    rendered: list[dict[str, str]] = []
    if system.mode is SystemMode.EMPTY:
        rendered.append({"role": "system", "content": ""})
    elif system.mode is SystemMode.CUSTOM:
        rendered.append({"role": "system", "content": system.text})
    rendered.extend({"role": m.role, "content": m.content} for m in messages)
    return rendered


class ChatTemplate:
    def __init__(self, source: str | None, bos_token: str, eos_token: str) -> None:
        self.source = source
        self.bos_token = bos_token
        self.eos_token = eos_token
        self._template = None
        if source:
            env = ImmutableSandboxedEnvironment(
                loader=jinja2.BaseLoader(),
                trim_blocks=True,
                lstrip_blocks=True,
                extensions=[_IgnoreGenerationTags, jinja2.ext.loopcontrols],
            )
            env.filters["tojson"] = _tojson
            try:
                self._template = env.from_string(source)
            except jinja2.TemplateError as exc:
                raise TemplateError(f"The model's chat template does not parse: {exc}") from exc

    @property
    def kind(self) -> str:
        return "gguf" if self._template is not None else "fallback"

    def render(self, system: SystemPrompt, messages: tuple[Message, ...],
               add_generation_prompt: bool = True) -> str:
        turns = conversation(system, messages)
        if self._template is None:
            text = self.bos_token + "".join(f"{t['role']}: {t['content']}\n\n" for t in turns)
            return text + ("assistant:" if add_generation_prompt else "")
        try:
            return self._template.render(
                messages=turns,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
                add_generation_prompt=add_generation_prompt,
                raise_exception=_raise_exception,
                strftime_now=_strftime_now,
            )
        except TemplateError:
            raise
        except Exception as exc:  # jinja2 errors and template-level type errors
            raise TemplateError(f"The model's chat template failed to render: {exc}") from exc
