"""One line under the transcript: model, adapters, system prompt mode, context, speed, activity."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from engine.types import AdapterSpec, SystemPrompt


@dataclass
class StatusInfo:
    model: str = "no model"
    adapters: tuple[AdapterSpec, ...] = ()
    system: SystemPrompt = SystemPrompt()
    ctx_used: int = 0
    ctx_size: int = 0
    tok_s: float | None = None
    activity: str = ""
    session: str = ""  # the session every turn is journaled into


def adapter_label(spec: AdapterSpec) -> str:
    return f"{spec.path.rsplit('/', 1)[-1]}×{spec.scale:g}"


class StatusBar(Static):
    def show(self, info: StatusInfo) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {info.model} ", style="bold")
        adapters = ", ".join(adapter_label(a) for a in info.adapters if a.scale != 0) or "none"
        text.append(f"│ adapters: {adapters} ")
        text.append(f"│ system: {info.system.mode.value} ")
        text.append(f"│ ctx {info.ctx_used}/{info.ctx_size} " if info.ctx_size else "│ ctx – ")
        text.append(f"│ {info.tok_s:.1f} tok/s " if info.tok_s is not None else "│ – tok/s ")
        if info.session:
            text.append(f"│ session: {info.session} ")
        if info.activity:
            text.append(f"│ {info.activity}", style="bold yellow")
        self.update(text, layout=False)
