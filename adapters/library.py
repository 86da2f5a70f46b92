"""Where adapters live: the platform data dir's `adapters/` folder plus any configured folders.

`adapter train --out NAME` saves NAME.gguf here, `adapter list` shows what is here, and
`resolve_adapter` lets `--adapter NAME` find a library adapter by name. Folders come in as
arguments (from the settings or the command line), never from a global.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.gguf import read_gguf_header
from engine.locations import data_dir

from .errors import AdapterToolError
from .inspect import AdapterInfo, inspect_adapter


def library_dir() -> Path:
    path = data_dir() / "adapters"
    path.mkdir(parents=True, exist_ok=True)
    return path


def peft_dir(name: str) -> Path:
    """Where training keeps the PEFT checkpoint behind library adapter `name`."""
    return library_dir() / "peft" / name


def output_path(out: str | Path) -> Path:
    """`--out NAME` -> <library>/NAME.gguf; anything with a folder or a .gguf suffix is a path."""
    text = str(out)
    if "/" in text or "\\" in text or text.endswith(".gguf"):
        return Path(text).expanduser()
    if not text or text.startswith("."):
        raise AdapterToolError(f"{text!r} is not a usable adapter name.")
    return library_dir() / f"{text}.gguf"


def resolve_adapter(name_or_path: str, folders: Iterable[str | Path] = ()) -> Path:
    """An existing file as given, else NAME or NAME.gguf in the library or `folders`."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    for folder in (library_dir(), *map(Path, folders)):
        for candidate in (folder / name_or_path, folder / f"{name_or_path}.gguf"):
            if candidate.is_file():
                return candidate
    raise AdapterToolError(f"No adapter {name_or_path!r}: not a file, and not in the adapter library.")


def _gguf_type(path: Path) -> str | None:
    try:
        kind = read_gguf_header(str(path))[0].get("general.type")
    except (ValueError, OSError):
        return None
    return kind if isinstance(kind, str) else None


@dataclass(frozen=True)
class LibraryEntry:
    path: Path
    info: AdapterInfo | None
    problem: str = ""  # why it could not be read, when info is None

    @property
    def name(self) -> str:
        return self.path.stem


def list_adapters(folders: Iterable[str | Path] = ()) -> list[LibraryEntry]:
    """Every *.gguf in the library and `folders` (not recursive), readable or not, sorted by name."""
    seen: set[Path] = set()
    entries = []
    for folder in (library_dir(), *map(Path, folders)):
        folder = folder.expanduser()
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.gguf")):
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            if _gguf_type(path) not in (None, "adapter"):
                continue  # a model or other GGUF sharing the folder
            try:
                entries.append(LibraryEntry(path, inspect_adapter(path)))
            except AdapterToolError as exc:
                entries.append(LibraryEntry(path, None, exc.msg))
    return sorted(entries, key=lambda e: (e.name.lower(), str(e.path)))
