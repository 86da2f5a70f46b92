"""System prompt panel: none / empty / custom text, and a library of saved presets.

The three modes render differently (with none, many chat templates inject their own default
system message), which is exactly what the rendered-prompt modal lets you check.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, OptionList, RadioButton, RadioSet, TextArea
from textual.widgets.option_list import Option

from engine.types import SystemMode, SystemPrompt

from ...messages import SystemChanged
from ...presets import load_presets, save_preset

MODES = [SystemMode.NONE, SystemMode.EMPTY, SystemMode.CUSTOM]


class SystemPanel(VerticalScroll):
    BORDER_TITLE = "System prompt"

    def __init__(self, system: SystemPrompt, **kwargs) -> None:
        super().__init__(**kwargs)
        self.system = system
        self.presets = load_presets()

    def compose(self) -> ComposeResult:
        with RadioSet(id="system-mode"):
            for mode in MODES:
                yield RadioButton(mode.value, value=mode is self.system.mode, id=f"mode-{mode.value}")
        yield Label("Custom text")
        yield TextArea(self.system.text, id="system-text", soft_wrap=True)
        yield Label("Presets (Enter loads)")
        yield OptionList(*self._preset_options(), id="presets")
        yield Input(placeholder="save text as preset: name⏎", id="preset-name")

    def _preset_options(self) -> list[Option]:
        # The preset's name is the option id; the prompt is plain Content (names are user text).
        return [Option(Content(name), id=name) for name in sorted(self.presets)]

    def _post(self) -> None:
        self.post_message(SystemChanged(self.system))

    @on(RadioSet.Changed, "#system-mode")
    def _mode(self, event: RadioSet.Changed) -> None:
        mode = MODES[event.index]
        text = self.query_one("#system-text", TextArea).text if mode is SystemMode.CUSTOM else ""
        self.system = SystemPrompt(mode, text)
        self._post()

    @on(TextArea.Changed, "#system-text")
    def _text(self, event: TextArea.Changed) -> None:
        if self.system.mode is SystemMode.CUSTOM and event.text_area.text != self.system.text:
            self.system = SystemPrompt.custom(event.text_area.text)
            self._post()

    @on(OptionList.OptionSelected, "#presets")
    def _preset(self, event: OptionList.OptionSelected) -> None:
        text = self.presets[str(event.option.id)]
        self.query_one("#system-text", TextArea).load_text(text)
        self.system = SystemPrompt.custom(text)
        self.query_one("#mode-custom", RadioButton).value = True
        self._post()

    @on(Input.Submitted, "#preset-name")
    def _save(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not name:
            return
        try:
            self.presets = save_preset(name, self.query_one("#system-text", TextArea).text)
        except OSError as exc:  # the text stays in the box; nothing else changed
            self.notify(f"Could not save the preset: {exc}", title="System presets", severity="error",
                        timeout=8, markup=False)
            return
        options = self.query_one("#presets", OptionList)
        options.clear_options()
        options.add_options(self._preset_options())
        event.input.value = ""
        self.notify(f"Saved system preset {name!r}.", markup=False)
