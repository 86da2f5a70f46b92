"""Adapters panel: each LoRA adapter with on/off and a scale, applied to the next generation.

Space toggles the highlighted adapter (off = scale 0, still loaded), + and - change its scale by
0.1, Delete removes it. A path typed below (FILE[:SCALE]) is handed to the screen, which asks the
engine to validate and activate it; only then does it join the list. Nothing here reloads the
model (a model switch resets the list to what the new model kept).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from adapters.errors import AdapterToolError
from adapters.library import parse_adapter
from engine.types import AdapterSpec

from ...messages import AdapterAdded, AdaptersChanged

SCALE_STEP = 0.1


@dataclass
class AdapterEntry:
    path: str
    scale: float = 1.0
    enabled: bool = True


def entries_for(adapters: tuple[AdapterSpec, ...]) -> list[AdapterEntry]:
    # Scale 0 means "loaded but off" to the engine; off adapters stay loaded for a quick re-enable.
    return [AdapterEntry(a.path, a.scale or 1.0, a.scale != 0) for a in adapters]


class AdapterList(OptionList):
    BINDINGS = [
        Binding("space", "toggle_adapter", "On/off", id="adapter_toggle"),
        Binding("plus,equals_sign", "scale(1)", "Scale +0.1", id="adapter_scale_up"),
        Binding("minus", "scale(-1)", "Scale -0.1", id="adapter_scale_down"),
        Binding("delete,x", "remove", "Remove", id="adapter_remove"),
    ]

    def action_toggle_adapter(self) -> None:  # not action_toggle: DOMNode has one (a reactive flag)
        self.parent_panel.change(self.highlighted, toggle=True)

    def action_scale(self, direction: int) -> None:
        self.parent_panel.change(self.highlighted, delta=direction * SCALE_STEP)

    def action_remove(self) -> None:
        self.parent_panel.change(self.highlighted, remove=True)

    @property
    def parent_panel(self) -> AdaptersPanel:
        return self.query_ancestor(AdaptersPanel)


class AdaptersPanel(Vertical):
    BORDER_TITLE = "Adapters"

    def __init__(self, adapters: tuple[AdapterSpec, ...] = (), hot_swap: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries = entries_for(adapters)
        self.hot_swap = hot_swap

    def compose(self) -> ComposeResult:
        yield Label("space on/off · +/- scale · x remove" if self.hot_swap
                    else "This backend cannot swap adapters.")
        yield AdapterList(id="adapter-list")
        yield Input(placeholder="add adapter: FILE.gguf[:SCALE]⏎", id="adapter-path", disabled=not self.hot_swap)

    def on_mount(self) -> None:
        self._render_list()

    @property
    def active(self) -> tuple[AdapterSpec, ...]:
        return tuple(AdapterSpec(e.path, round(e.scale, 3) if e.enabled else 0.0) for e in self.entries)

    def _render_list(self, highlight: int | None = None) -> None:
        options = self.query_one(AdapterList)
        options.clear_options()
        for n, entry in enumerate(self.entries):
            label = Text()
            label.append("[on] " if entry.enabled else "[off]", style="green" if entry.enabled else "dim")
            label.append(f" ×{entry.scale:+.1f} ", style="bold")
            label.append(entry.path.rsplit("/", 1)[-1])
            options.add_option(Option(label, id=f"adapter-{n}"))
        if not self.entries:
            options.add_option(Option(Text("no adapters loaded", style="dim"), disabled=True))
        elif highlight is not None:
            options.highlighted = min(highlight, len(self.entries) - 1)

    def change(self, index: int | None, toggle: bool = False, delta: float = 0.0, remove: bool = False) -> None:
        if index is None or not 0 <= index < len(self.entries):
            return
        entry = self.entries[index]
        if remove:
            del self.entries[index]
        elif toggle:
            entry.enabled = not entry.enabled
        else:
            entry.scale = round(entry.scale + delta, 3)
        self._render_list(index)
        self.post_message(AdaptersChanged(self.active))

    def add(self, spec: AdapterSpec) -> None:
        """Called by the screen once the engine accepted the adapter."""
        self.entries = [e for e in self.entries if e.path != spec.path] + [AdapterEntry(spec.path, spec.scale)]
        self._render_list(len(self.entries) - 1)

    def reset(self, adapters: tuple[AdapterSpec, ...]) -> None:
        """Called by the screen when the engine's set changed under the panel (a model switch)."""
        self.entries = entries_for(adapters)
        self._render_list(0 if self.entries else None)

    @on(Input.Submitted, "#adapter-path")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        try:
            spec = parse_adapter(text)  # a path, or a library name: as --adapter resolves it
        except AdapterToolError as exc:
            self.notify(exc.msg, title=exc.title, severity="error", timeout=8, markup=False)
            return  # the text stays in the box to correct
        self.post_message(AdapterAdded(spec))
        event.input.value = ""
