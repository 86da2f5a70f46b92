"""Model panel: which GGUF is loaded, and picking another (typed path or one found nearby).

Loading happens in the screen's worker; this panel only shows the progress indicator while the
screen says a load is under way. Finding the models nearby lists folders (a network drive or a
folder of thousands of files is slow), so it runs in the panel's own thread worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from engine.locations import data_dir
from engine.types import ModelInfo

from ...messages import ModelRequested


def find_models(current: str) -> list[str]:
    """GGUF files beside the current model and in the data dir's models/ folder."""
    folders = {Path(current).parent, data_dir() / "models"}
    found: set[str] = set()
    for folder in folders:
        if folder.is_dir():
            found.update(str(p) for p in folder.glob("*.gguf"))
    return sorted(found)


class ModelPanel(Vertical):
    BORDER_TITLE = "Model"

    @dataclass
    class Found(Message, bubble=False):
        """The panel's worker listed the models nearby."""

        paths: list[str]

    def __init__(self, current: str, info: ModelInfo | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.current = current
        self.info = info

    def compose(self) -> ComposeResult:
        yield Static(self._describe(), id="model-info")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="model-progress")
        yield Label("Models found (Enter loads)")
        yield OptionList(id="model-list")
        yield Input(placeholder="or a path to a .gguf⏎", id="model-path")

    def on_mount(self) -> None:
        self.scan(self.current)

    @work(thread=True, exclusive=True, exit_on_error=False, group="find-models")
    def scan(self, current: str) -> None:
        self.post_message(self.Found(find_models(current)))

    def on_model_panel_found(self, event: ModelPanel.Found) -> None:
        options = self.query_one("#model-list", OptionList)
        options.clear_options()
        # The path is the option's id; the prompt is plain Content (file names are not markup).
        options.add_options([Option(Content(path), id=path) for path in event.paths])

    def _describe(self) -> Content:
        """Plain Content: the model's name comes from its file's metadata."""
        if self.info is None:
            return Content(f"{Path(self.current).name}\n(not loaded)")
        i = self.info
        return Content(f"{i.name}\n{Path(i.path).name}\n{i.architecture} · vocab {i.n_vocab} · "
                       f"ctx {i.n_ctx}/{i.n_ctx_train} · {i.size_bytes / 2**20:.0f} MiB")

    def set_model(self, current: str, info: ModelInfo | None) -> None:
        folder_changed = Path(current).parent != Path(self.current).parent
        self.current, self.info = current, info
        self.query_one("#model-info", Static).update(self._describe())
        if folder_changed:
            self.scan(current)

    def set_loading(self, loading: bool) -> None:
        self.set_class(loading, "-loading")

    @on(OptionList.OptionSelected, "#model-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(ModelRequested(str(event.option.id)))

    @on(Input.Submitted, "#model-path")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(ModelRequested(event.value.strip()))
