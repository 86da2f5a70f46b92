"""Model panel: which GGUF is loaded, and picking another (one the user already has, or a path).

The list shows, grouped and labelled, the models this user already has (engine/known_models.py):
the current one, the embedded default, the ones loaded before (most recent first; a file that is
gone shows as missing and cannot be picked) and the GGUF files beside the current model and in
<data dir>/models, each once, with its file name, folder and size. Below them, other tools'
models (engine/model_stores: the Hugging Face cache, Ollama, LM Studio, llama.cpp's cache and the
config's `[models] folders`), with what their GGUF headers say (store_models.py). Finding them
stats files, lists folders and reads headers (a network drive or a folder of thousands of files
is slow), so each list has its own thread worker; so does recording a model that loaded
(`remember`, a small file written atomically), which then lists the known models again. Picking
any of them posts the path, as typing it would; a store name typed in (`ollama:llama3.2:1b`) is
resolved to its file on a thread first. Loading happens in the screen's worker; this
panel only shows the progress indicator while the screen says a load is under way.
On a remote engine (`--engine URL`, or a URL typed in the engine field) the panel shows the
server (URL, dialect, model id, build) and what it can do (capabilities); typing a URL there
asks the screen to switch to that engine, typing `local` to go back to the local one
(EngineRequested; the screen opens it on a thread worker, tui/remote_engine.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option, OptionDoesNotExist
from textual.worker import get_current_worker

from engine.errors import ModelLoadError
from engine.known_models import CURRENT, DEFAULT, NEARBY, USED_BEFORE, KnownModel, ModelHistory, find_known_models
from engine.known_models import resolve as resolve_path
from engine.model_stores import MODEL, FoundModel, discover_models, resolve_model, store_of
from engine.types import Capabilities, ModelInfo, RemoteOrigin

from ...messages import EngineRequested, ModelRequested
from ...remote_engine import LOCAL, capability_lines, is_engine_url
from .sizes import format_size
from .store_models import ID_PREFIX, store_options, store_paths

GROUP_TITLES = {CURRENT: "Current", DEFAULT: "Default model (embedded)", USED_BEFORE: "Used before",
                NEARBY: "Nearby: its folder, <data>/models"}
FOLDER_WIDTH = 34  # the panel's list is ~36 columns wide


def short_folder(folder: str, width: int = FOLDER_WIDTH) -> str:
    """The folder with ~ for home, cut from the left to `width` (its end says the most)."""
    home = str(Path.home())
    if home != "/" and (folder == home or folder.startswith(home + "/")):
        folder = "~" + folder[len(home):]
    return folder if len(folder) <= width else "…" + folder[-(width - 1):]


def model_option(model: KnownModel) -> Option:
    """Two lines of plain Content (file names are not markup): the name, then size and folder."""
    tags = " · default" if DEFAULT in model.also else ""
    detail = "missing" if model.size_bytes is None else format_size(model.size_bytes)
    prompt = Content.assemble((model.name, "bold"), f"{tags}\n", (detail, "italic" if model.missing else ""),
                              (f"  {short_folder(model.folder, FOLDER_WIDTH - len(detail) - 2)}", "dim"))
    return Option(prompt, id=model.path, disabled=model.missing)


def list_options(models: list[KnownModel]) -> list[Option]:
    options: list[Option] = []
    group = None
    for model in models:
        if model.source != group:
            group = model.source
            title = GROUP_TITLES.get(group, group)
            options.append(Option(Content.styled(title, "bold underline"), disabled=True))
        options.append(model_option(model))
    return options


class ModelPanel(Vertical):
    BORDER_TITLE = "Model"

    @dataclass
    class Found(Message, bubble=False):
        """The panel's worker listed the models this user has."""

        models: list[KnownModel]

    @dataclass
    class StoresFound(Message, bubble=False):
        """The panel's other worker listed other tools' models (engine/model_stores)."""

        models: list[FoundModel]

    @dataclass
    class NameUnknown(Message, bubble=False):
        """A store name typed in named no model (the resolver's message says what it looked for)."""

        message: str

    def __init__(self, current: str, info: ModelInfo | None, folders: Sequence[str] | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.current = current
        self.info = info
        self.folders = folders  # [models] folders; None: the app's settings say
        self.current_id: str | None = None  # the listed (resolved) path of the current model
        self.known: list[KnownModel] = []
        self.stored: list[FoundModel] | None = None  # None until the store scan reports
        self.origin: RemoteOrigin | None = None  # the remote engine the app runs on, if any
        self.capabilities: Capabilities | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._describe(), id="model-info")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="model-progress")
        yield Label("Your models (Enter loads)")
        yield OptionList(id="model-list")
        yield Input(placeholder="or a path to a .gguf⏎", id="model-path")
        yield Input(placeholder="or an engine URL http://host:port (local: back)⏎", id="engine-url")

    def on_mount(self) -> None:
        if self.folders is None:
            settings = getattr(self.app, "settings", None)
            self.folders = tuple(getattr(settings, "model_folders", ()))
        self.scan(self.current)
        self.scan_stores(tuple(self.folders))

    @work(thread=True, exclusive=True, exit_on_error=False, group="find-models")
    def scan(self, current: str, loaded: str | None = None) -> None:
        """Record `loaded` as used (if given), then list the models; blocking, so in a thread."""
        if loaded is not None:
            with suppress(OSError):  # a read-only data dir: the list still works, without history
                ModelHistory.default().record(loaded)
        self.post_message(self.Found(find_known_models(current)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="find-store-models")
    def scan_stores(self, folders: tuple[str, ...]) -> None:
        """List other tools' models, headers read; blocking, so in a thread."""
        worker = get_current_worker()
        found = discover_models(folders=folders, kind=MODEL, cancelled=lambda: worker.is_cancelled)
        if not worker.is_cancelled:
            self.post_message(self.StoresFound(found))

    def on_model_panel_found(self, event: ModelPanel.Found) -> None:
        self.known = event.models
        self.current_id = next((m.path for m in event.models if m.source == CURRENT), None)
        self._show()

    def on_model_panel_stores_found(self, event: ModelPanel.StoresFound) -> None:
        self.stored = event.models
        self._show()

    def _show(self) -> None:
        """Both lists, the highlight kept on the option it was on."""
        options = self.query_one("#model-list", OptionList)
        highlighted = options.highlighted_option
        options.clear_options()
        options.add_options([*list_options(self.known), *store_options(self.stored)])
        if highlighted is not None and highlighted.id is not None:
            with suppress(OptionDoesNotExist):  # the highlighted model may have left the list
                options.highlighted = options.get_option_index(highlighted.id)

    def _describe(self) -> Content:
        """Plain Content: the model's name comes from its file's metadata (a server's from it)."""
        if self.origin is not None:
            o = self.origin
            lines = [f"remote engine {o.url}", f"{o.dialect} · model {o.model_id}"
                     + (f" · {o.server_version}" if o.server_version else "")]
            if self.capabilities is not None:
                lines += capability_lines(self.capabilities)
            return Content("\n".join(lines))
        if self.info is None:
            return Content(f"{Path(self.current).name}\n(not loaded)")
        i = self.info
        return Content(f"{i.name}\n{Path(i.path).name}\n{i.architecture} · vocab {i.n_vocab} · "
                       f"ctx {i.n_ctx}/{i.n_ctx_train} · {i.size_bytes / 2**20:.0f} MiB")

    def set_model(self, current: str, info: ModelInfo | None, origin: RemoteOrigin | None = None,
                  capabilities: Capabilities | None = None) -> None:
        """Show the model now loaded; with `info` (a load succeeded), remember it and list again.
        With `origin` it is a remote engine's (not a file here: not remembered)."""
        self.current, self.info, self.current_id = current, info, None
        self.origin, self.capabilities = origin, capabilities
        self.query_one("#model-info", Static).update(self._describe())
        self.scan(current, loaded=info.path if info is not None and origin is None else None)

    @on(Input.Submitted, "#engine-url")
    def _engine_typed(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if text.lower() == LOCAL:
            self.post_message(EngineRequested(""))
        elif is_engine_url(text):
            self.post_message(EngineRequested(text))
        elif text:
            self.notify("An engine URL starts with http://, https://, llamacpp+http:// or openai+http:// "
                        "(or type local for the local engine).", severity="warning", markup=False)

    def set_loading(self, loading: bool) -> None:
        self.set_class(loading, "-loading")

    @on(OptionList.OptionSelected, "#model-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = str(event.option.id)
        path = store_paths(self.stored).get(option_id, option_id)
        if self.info is not None and self.current_id is not None and str(resolve_path(path)) == self.current_id:
            name = option_id.removeprefix(ID_PREFIX) if option_id.startswith(ID_PREFIX) else Path(path).name
            self.notify(f"{name} is loaded already.", markup=False, timeout=3)
            return
        self.post_message(ModelRequested(path))

    @on(Input.Submitted, "#model-path")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if text and store_of(text):
            self.resolve_name(text, tuple(self.folders or ()))  # ollama:llama3.2:1b, hf:org/repo/file.gguf
        elif text:
            self.post_message(ModelRequested(text))

    @work(thread=True, exclusive=True, exit_on_error=False, group="resolve-model-name")
    def resolve_name(self, text: str, folders: tuple[str, ...]) -> None:
        """A store's name typed in: its file, found off the UI thread (folders walked, a header read)."""
        try:
            self.post_message(ModelRequested(resolve_model(text, folders)))
        except ModelLoadError as exc:
            self.post_message(self.NameUnknown(exc.msg))

    def on_model_panel_name_unknown(self, event: ModelPanel.NameUnknown) -> None:
        self.notify(event.message, title="No such model", severity="error", markup=False, timeout=10)
