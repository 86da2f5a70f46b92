"""Adapters panel: each LoRA adapter with on/off and a scale, applied to the next generation.

In the list: Space toggles the highlighted adapter (off = scale 0, still loaded); + and - change
its scale by 0.1, > and < by 1.0; n flips its sign (1 -> -1 in one key); s or Enter opens a box
prefilled with its scale: type any number (-1, 0.25, 2) and Enter sets it and turns the adapter
on; invalid text is refused with a message and changes nothing; leaving the box (Tab, or Escape,
which closes the panel) keeps the old scale. Delete or x removes it. The focus is inside the
panel here, so letter keys are deliberate. Each scale shows as it is (0.25 reads +0.25, not
+0.2). A path typed in the box below (FILE[:SCALE]) is handed to the screen, which asks the
engine to validate and activate it; only then does it join the list. Nothing here reloads the
model (a model switch resets the list to what the new model kept).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Blur
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from adapters.errors import AdapterToolError
from adapters.library import parse_adapter
from engine.types import AdapterSpec

from ...messages import AdapterAdded, AdaptersChanged

SCALE_STEP = 0.1
SCALE_BIG_STEP = 1.0
SCALE_DECIMALS = 3  # what the engine gets (AdaptersPanel.active) and what the list shows
HINT = "space on/off · x remove\n+/- ±0.1 · >/< ±1 · n flip sign\ns or ⏎: type a scale"


@dataclass
class AdapterEntry:
    path: str
    scale: float = 1.0
    enabled: bool = True


def entries_for(adapters: tuple[AdapterSpec, ...]) -> list[AdapterEntry]:
    # Scale 0 means "loaded but off" to the engine; off adapters stay loaded for a quick re-enable.
    return [AdapterEntry(a.path, a.scale or 1.0, a.scale != 0) for a in adapters]


def format_scale(scale: float) -> str:
    """Signed, at least one decimal, every decimal the engine gets: +1.0, -0.5, +0.25, +0.125."""
    text = f"{round(scale, SCALE_DECIMALS) + 0.0:+.{SCALE_DECIMALS}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def parse_scale(text: str) -> float:
    """A typed scale (ValueError with a message to show if it is not a finite number)."""
    try:
        value = float(text.strip().removeprefix("×").removeprefix("x"))
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number: type a scale such as -1, 0.5 or 2.") from None
    if not math.isfinite(value):
        raise ValueError("The scale must be a finite number.")
    return round(value, SCALE_DECIMALS)


class AdapterList(OptionList):
    BINDINGS = [
        Binding("space", "toggle_adapter", "On/off", id="adapter_toggle"),
        Binding("plus,equals_sign", "scale(0.1)", "Scale +0.1", id="adapter_scale_up"),
        Binding("minus", "scale(-0.1)", "Scale -0.1", id="adapter_scale_down"),
        Binding("greater_than_sign", "scale(1.0)", "Scale +1", id="adapter_scale_up_big",
                tooltip="Raise the highlighted adapter's scale by 1.0"),
        Binding("less_than_sign", "scale(-1.0)", "Scale -1", id="adapter_scale_down_big",
                tooltip="Lower the highlighted adapter's scale by 1.0"),
        Binding("n", "negate_scale", "Flip sign", id="adapter_scale_negate",
                tooltip="Flip the sign of the highlighted adapter's scale (1 -> -1)"),
        Binding("s", "type_scale", "Type scale", id="adapter_scale_type",
                tooltip="Type the highlighted adapter's scale (Enter on it does the same)"),
        Binding("delete,x", "remove", "Remove", id="adapter_remove"),
    ]

    def action_toggle_adapter(self) -> None:  # not action_toggle: DOMNode has one (a reactive flag)
        self.parent_panel.change(self.highlighted, toggle=True)

    def action_scale(self, delta: float) -> None:
        self.parent_panel.change(self.highlighted, delta=delta)

    def action_negate_scale(self) -> None:
        panel = self.parent_panel
        if self.highlighted is not None and 0 <= self.highlighted < len(panel.entries):
            panel.change(self.highlighted, scale=-panel.entries[self.highlighted].scale)

    def action_type_scale(self) -> None:
        self.parent_panel.edit_scale(self.highlighted)

    def action_remove(self) -> None:
        self.parent_panel.change(self.highlighted, remove=True)

    @property
    def parent_panel(self) -> AdaptersPanel:
        return self.query_ancestor(AdaptersPanel)


class ScaleInput(Input):
    """The typed scale of one adapter; hidden again when it loses the focus (Escape, Tab)."""

    editing: int | None = None  # the index of the adapter whose scale is typed

    def on_blur(self, event: Blur) -> None:
        self.display = False
        self.editing = None


class AdaptersPanel(Vertical):
    BORDER_TITLE = "Adapters"

    def __init__(self, adapters: tuple[AdapterSpec, ...] = (), hot_swap: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries = entries_for(adapters)
        self.hot_swap = hot_swap

    def compose(self) -> ComposeResult:
        yield Label(HINT if self.hot_swap else "This backend cannot swap adapters.", id="adapter-hint")
        yield AdapterList(id="adapter-list")
        yield ScaleInput(placeholder="scale, e.g. -1 or 0.25⏎", id="adapter-scale")
        yield Input(placeholder="add adapter: FILE.gguf[:SCALE]⏎", id="adapter-path", disabled=not self.hot_swap)

    def on_mount(self) -> None:
        self.query_one(ScaleInput).display = False
        self._render_list()

    @property
    def active(self) -> tuple[AdapterSpec, ...]:
        return tuple(AdapterSpec(e.path, round(e.scale, SCALE_DECIMALS) if e.enabled else 0.0)
                     for e in self.entries)

    def _render_list(self, highlight: int | None = None) -> None:
        options = self.query_one(AdapterList)
        options.clear_options()
        for n, entry in enumerate(self.entries):
            label = Text()
            label.append("[on] " if entry.enabled else "[off]", style="green" if entry.enabled else "dim")
            label.append(f" ×{format_scale(entry.scale)} ", style="bold")
            label.append(entry.path.rsplit("/", 1)[-1])
            options.add_option(Option(label, id=f"adapter-{n}"))
        if not self.entries:
            options.add_option(Option(Text("no adapters loaded", style="dim"), disabled=True))
        elif highlight is not None:
            options.highlighted = min(highlight, len(self.entries) - 1)

    def change(self, index: int | None, toggle: bool = False, delta: float = 0.0, remove: bool = False,
               scale: float | None = None) -> None:
        """Change one entry: toggle it, remove it, set its `scale` (and turn it on), or add `delta`."""
        if index is None or not 0 <= index < len(self.entries):
            return
        entry = self.entries[index]
        if remove:
            del self.entries[index]
        elif toggle:
            entry.enabled = not entry.enabled
        elif scale is not None:
            entry.scale, entry.enabled = round(scale, SCALE_DECIMALS) + 0.0, True
        else:
            entry.scale = round(entry.scale + delta, SCALE_DECIMALS) + 0.0  # + 0.0: no -0.0
        self._render_list(index)
        self.post_message(AdaptersChanged(self.active))

    def edit_scale(self, index: int | None) -> None:
        """Open the scale box for entry `index`, prefilled with its scale."""
        if index is None or not 0 <= index < len(self.entries):
            return
        box = self.query_one(ScaleInput)
        box.editing = index
        box.value = format_scale(self.entries[index].scale).removeprefix("+")
        box.display = True
        box.focus()  # an Input selects all on focus: typing replaces the old scale

    @on(OptionList.OptionSelected, "#adapter-list")
    def _enter_on_adapter(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.edit_scale(event.option_index)

    @on(Input.Submitted, "#adapter-scale")
    def _scale_typed(self, event: Input.Submitted) -> None:
        event.stop()
        box = self.query_one(ScaleInput)
        try:
            value = parse_scale(event.value)
        except ValueError as exc:
            self.notify(str(exc), title="Scale not changed", severity="error", timeout=6, markup=False)
            return  # the text stays in the box to correct
        index = box.editing
        self.query_one(AdapterList).focus()  # hides the box (its blur handler)
        self.change(index, scale=value)

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
