"""All the stores at once: where each looks, what each names, and the listing with headers read.

The stores are asked in a fixed order (hf, ollama, lmstudio, llamacpp, folder). `locate_models`
only walks folders and reads the stores' own indexes; `discover_models` also reads every file's
GGUF header; a file two stores name is listed by the first (a user folder that is also LM Studio's
models folder does not double the list). Both are blocking: the TUI calls
them from a thread worker. The environment and the home folder are read when called, so a test
(or a user) points them elsewhere with HOME, HF_HUB_CACHE, OLLAMA_MODELS, LLAMA_CACHE.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import folders as user_folders
from . import hf_cache, llamacpp_cache, lmstudio, ollama
from .found import FoundModel, StoreEntry, describe

STORE_NAMES = ("hf", "ollama", "lmstudio", "llamacpp", "folder")
STORE_TITLES = {"hf": "Hugging Face cache", "ollama": "Ollama", "lmstudio": "LM Studio",
                "llamacpp": "llama.cpp cache", "folder": "Your folders"}
_STORES = {hf_cache.STORE: hf_cache, ollama.STORE: ollama, lmstudio.STORE: lmstudio,
           llamacpp_cache.STORE: llamacpp_cache}


@dataclass(frozen=True)
class Location:
    store: str
    path: str
    exists: bool


def _environment() -> tuple[Mapping[str, str], Path]:
    return os.environ, Path.home()


def _chosen(stores: Collection[str] | None) -> list[str]:
    unknown = set(stores or ()) - set(STORE_NAMES)
    if unknown:
        raise ValueError(f"unknown store {sorted(unknown)[0]!r} (one of {', '.join(STORE_NAMES)})")
    return [name for name in STORE_NAMES if stores is None or name in stores]


def searched_locations(stores: Collection[str] | None = None, folders: Sequence[str] = ()) -> list[Location]:
    """Where each chosen store looks (whether or not the folder exists), in store order."""
    env, home = _environment()
    found: list[Location] = []
    for name in _chosen(stores):
        roots = user_folders.locations(folders) if name == user_folders.STORE else _STORES[name].locations(env, home)
        found += [Location(name, str(root), root.is_dir()) for root in roots]
    return found


def store_entries(store: str, folders: Sequence[str] = ()) -> list[StoreEntry]:
    """What one store names, headers unread. Blocking."""
    if store == user_folders.STORE:
        return user_folders.locate(folders)
    env, home = _environment()
    return _STORES[store].locate(env, home)


def locate_models(stores: Collection[str] | None = None, folders: Sequence[str] = ()) -> list[StoreEntry]:
    """Every chosen store's entries. Within a store every name stays (Ollama's `llama3.2:latest`
    and `llama3.2:3b` are often one blob); a file an earlier store named is not listed again by a
    later one (a user folder that is LM Studio's models folder). Blocking."""
    entries: list[StoreEntry] = []
    earlier: set[str] = set()
    for name in _chosen(stores):
        these = store_entries(name, folders)
        entries += [entry for entry in these if os.path.realpath(entry.path) not in earlier]
        earlier.update(os.path.realpath(entry.path) for entry in these)
    return entries


def discover_models(stores: Collection[str] | None = None, folders: Sequence[str] = (),
                    kind: str | None = None,
                    cancelled: Callable[[], bool] = lambda: False) -> list[FoundModel]:
    """The models (and adapters) the chosen stores hold, headers read; `kind` keeps one kind.
    `cancelled` is asked between files (a worker that was replaced stops early). Blocking."""
    found: list[FoundModel] = []
    for entry in locate_models(stores, folders):
        if cancelled():
            break
        model = describe(entry)
        if model is not None and (kind is None or model.kind == kind):
            found.append(model)
    return found
