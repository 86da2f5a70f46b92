"""Sampling panel: the sampler chain settings and the answer length, used by the next generation.

Each field validates as you type; a valid set of values is posted at once, an invalid field
turns red and the previous settings stay in force.
"""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input, Label

from engine.types import SamplingSettings

from ...messages import SamplingChanged

FIELDS = [  # (field, label, type)
    ("temperature", "temperature (0 = greedy)", float),
    ("top_p", "top-p", float),
    ("top_k", "top-k (0 = off)", int),
    ("min_p", "min-p", float),
    ("repeat_penalty", "repeat penalty", float),
    ("seed", "seed (blank = random)", int),
    ("max_tokens", "max tokens", int),
]


class SamplingPanel(VerticalScroll):
    BORDER_TITLE = "Sampling"

    def __init__(self, sampling: SamplingSettings, max_tokens: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sampling = sampling
        self.max_tokens = max_tokens

    def compose(self) -> ComposeResult:
        for name, label, kind in FIELDS:
            value = self.max_tokens if name == "max_tokens" else getattr(self.sampling, name)
            yield Label(label)
            yield Input("" if value is None else str(value), id=f"sampling-{name}",
                        type="integer" if kind is int else "number", compact=True)

    def _parse(self) -> tuple[SamplingSettings, int] | None:
        values: dict[str, object] = {}
        ok = True
        for name, _, kind in FIELDS:
            field = self.query_one(f"#sampling-{name}", Input)
            raw = field.value.strip()
            try:
                value = None if (raw == "" and name == "seed") else kind(raw)
                if name == "max_tokens" and value < 1:  # type: ignore[operator]
                    raise ValueError
                if name in ("temperature", "top_k", "repeat_penalty") and value < 0:  # type: ignore[operator]
                    raise ValueError
                if name in ("top_p", "min_p") and not 0 <= value <= 1:  # type: ignore[operator]
                    raise ValueError
                field.remove_class("-invalid-value")
            except (TypeError, ValueError):
                field.add_class("-invalid-value")
                ok = False
                continue
            values[name] = value
        if not ok:
            return None
        max_tokens = values.pop("max_tokens")
        assert isinstance(max_tokens, int)
        return replace(self.sampling, **values), max_tokens  # type: ignore[arg-type]

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        parsed = self._parse()
        if parsed is not None and parsed != (self.sampling, self.max_tokens):
            self.sampling, self.max_tokens = parsed
            self.post_message(SamplingChanged(self.sampling, self.max_tokens))
