"""Where adapters live: the platform data dir's `adapters/` folder plus any configured folders.

`adapter train --out NAME` saves NAME.gguf here, `adapter list` shows what is here, and
`find_adapter` lets `--adapter NAME`, the TUI's F3 box and `adapter inspect NAME` find a
library adapter by name. Folders come in as arguments (from the settings or the command line),
never from a global.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.gguf import read_gguf_header
from engine.locations import data_dir
from engine.types import AdapterSpec

from .errors import AdapterToolError
from .inspect import AdapterInfo, inspect_adapter


def library_dir() -> Path:
    path = data_dir() / "adapters"
    path.mkdir(parents=True, exist_ok=True)
    return path


def peft_dir(name: str) -> Path:
    """Where training keeps the PEFT checkpoint behind library adapter `name`."""
    return library_dir() / "peft" / name


def is_name(text: str) -> bool:
    """A library name (`hello`), not a path: no folder separator and no .gguf suffix."""
    return not ("/" in text or "\\" in text or text.endswith(".gguf"))


def output_path(out: str | Path) -> Path:
    """`--out NAME` -> <library>/NAME.gguf; anything with a folder or a .gguf suffix is a path."""
    text = str(out)
    if not is_name(text):
        return Path(text).expanduser()
    if not text or text.startswith("."):
        raise AdapterToolError(f"{text!r} is not a usable adapter name.")
    return library_dir() / f"{text}.gguf"


def resolve_adapter(name_or_path: str, folders: Iterable[str | Path] = ()) -> Path:
    """An existing file as given, else NAME or NAME.gguf in the library or `folders`.

    Raises AdapterToolError listing every place tried when none holds a file.
    """
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    tried = [path]
    for folder in (library_dir(), *map(Path, folders)):
        folder = folder.expanduser()
        for candidate in (folder / name_or_path, folder / f"{name_or_path}.gguf"):
            if candidate.is_file():
                return candidate
            if candidate not in tried:
                tried.append(candidate)
    raise AdapterToolError(
        f"No adapter {name_or_path!r}: it is not a file, and not a name in the adapter library "
        f"(tried {', '.join(str(t) for t in tried)}). `logitscope adapter list` shows the library.",
        title="No such adapter")


def find_adapter(name_or_path: str, folders: Iterable[str | Path] = ()) -> Path:
    """The one resolver for a typed adapter (`--adapter`, the TUI's F3 box, `adapter inspect`).

    A path that exists is used as given; otherwise a library name (NAME or NAME.gguf in the library
    or `folders`). A bare name found nowhere raises the error listing what was tried; a missing
    path (a folder or a .gguf suffix in it) comes back as given, for the engine or the inspector to
    report as a missing file.
    """
    try:
        return resolve_adapter(name_or_path, folders)
    except AdapterToolError:
        if is_name(name_or_path):
            raise
        return Path(name_or_path).expanduser()


def resolve_spec(spec: AdapterSpec, folders: Iterable[str | Path] = ()) -> AdapterSpec:
    """`spec` with its path resolved by `find_adapter` (`hello:0.5` -> <library>/hello.gguf at 0.5)."""
    return AdapterSpec(str(find_adapter(spec.path, folders)), spec.scale)


def parse_adapter(text: str, folders: Iterable[str | Path] = ()) -> AdapterSpec:
    """`NAME[:SCALE]` or `FILE[:SCALE]` as typed, resolved: what `--adapter` and F3 accept."""
    return resolve_spec(AdapterSpec.parse(text), folders)


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
