"""One line under the transcript: model, the configuration of the next answer, context, speed,
the jump keys' criterion, activity.

The adapters, system prompt and sampling are labelled "next:": they are what the next generation
will use, not what made the answer under the cursor (each answer's header says that).

Its state is one reactive StatusInfo: the screen assigns a new one whenever something it shows may
have changed, and the bar redraws only when the value differs (a frozen dataclass compares by value).
On a remote engine the bar names it after the model ("@ host:port"), and when the last answer's
entropy and rank were computed over the engine's top-k plus a rest bucket it says "top-k+rest
(H ≥)" (sessions/distribution_marks.py); on the local engine neither appears.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from engine.types import AdapterSpec, SamplingSettings, SystemPrompt
from sessions.distribution_marks import BOUND

from ..turn_config import sampling_parts


@dataclass(frozen=True)
class StatusInfo:
    model: str = "no model"
    adapters: tuple[AdapterSpec, ...] = ()
    system: SystemPrompt = SystemPrompt()
    sampling: SamplingSettings | None = None  # None: not shown
    ctx_used: int = 0
    ctx_size: int = 0
    tok_s: float | None = None
    activity: str = ""
    session: str = ""  # the session every turn is journaled into
    jump: str = ""  # the jump criterion and its matches in the cursor's answer ("" not shown)
    engine: str = ""  # a remote engine's address (host:port); "" for the local engine
    distribution: str = ""  # the last answer's distribution when not "full" ("top-k+rest", "mixed")


def adapter_label(spec: AdapterSpec) -> str:
    return f"{spec.path.rsplit('/', 1)[-1]}×{spec.scale:g}"


class StatusBar(Widget):
    info: reactive[StatusInfo] = reactive(StatusInfo, layout=False)
    """What the bar shows; assigning an equal value does not redraw."""

    def render(self) -> Text:
        info = self.info
        text = Text(no_wrap=True, overflow="ellipsis")  # Text, not markup: names are user text
        text.append(f" {info.model} ", style="bold")
        if info.engine:
            text.append(f"@ {info.engine} ")
        if info.distribution:
            text.append(f"│ {info.distribution} (H {BOUND}) ", style="yellow")
        adapters = ", ".join(adapter_label(a) for a in info.adapters if a.scale != 0) or "none"
        text.append("│ next: ", style="bold")
        text.append(f"adapters: {adapters} · system: {info.system.mode.value} ")
        if info.sampling is not None:
            text.append(f"· {' '.join(sampling_parts(info.sampling))} ")
        text.append(f"│ ctx {info.ctx_used}/{info.ctx_size} " if info.ctx_size else "│ ctx – ")
        text.append(f"│ {info.tok_s:.1f} tok/s " if info.tok_s is not None else "│ – tok/s ")
        if info.jump:
            text.append(f"│ {info.jump} ")
        if info.session:
            text.append(f"│ session: {info.session} ")
        if info.activity:
            text.append(f"│ {info.activity}", style="bold yellow")
        return text
