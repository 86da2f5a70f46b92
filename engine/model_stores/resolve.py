"""`--model ollama:llama3.2:1b`: a store's name for a model turned into the file llama.cpp loads.

`resolve_model` (and `resolve_adapter`, for `--adapter`) take what a user types: a store name
(`hf:ORG/REPO/FILE.gguf`, `ollama:NAME[:TAG]`, `lmstudio:PUBLISHER/REPO/FILE.gguf`,
`llamacpp:FILE.gguf`) or a path. A path is returned as given (the loader says what is wrong with
it), except a bare file name that is not here, which is looked for in the given folders. A store
name is looked up among that store's entries: exactly, then case-insensitively; `hf:ORG/REPO`
(also `lmstudio:`, `llamacpp:`) is enough when the repository holds one model, and
`hf:ORG/REPO:Q4_K_M` picks the one file whose name has that tag, as llama.cpp's `-hf` does. An
unknown name is a ModelLoadError (AdapterError) that lists close matches (difflib) and where the
store looked. Only folders are walked and one header read: no model is loaded.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import AdapterError, EngineError, ModelLoadError
from . import hf_cache, llamacpp_cache, lmstudio, ollama
from .discover import STORE_TITLES, searched_locations, store_entries
from .found import ADAPTER, MODEL, StoreEntry, describe
from .walk import gguf_files

PREFIXES = {hf_cache.PREFIX: hf_cache.STORE, ollama.PREFIX: ollama.STORE, lmstudio.PREFIX: lmstudio.STORE,
            llamacpp_cache.PREFIX: llamacpp_cache.STORE}
CLOSE_MATCHES = 5


def store_of(text: str) -> str | None:
    """The store a name belongs to (`hf` for `hf:...`), None for a path."""
    return next((store for prefix, store in PREFIXES.items() if text.startswith(prefix)), None)


def resolve_model(text: str, folders: Sequence[str] = ()) -> str:
    """The GGUF file `text` names (a store name or a path); ModelLoadError with the reason if none."""
    return _resolve(text, folders, MODEL, ModelLoadError)


def resolve_adapter(text: str, folders: Sequence[str] = ()) -> str:
    """As `resolve_model`, for a LoRA adapter (`ollama:NAME:TAG@adapter`, `hf:...`); AdapterError."""
    return _resolve(text, folders, ADAPTER, AdapterError)


def _resolve(text: str, folders: Sequence[str], kind: str, error: type[EngineError]) -> str:
    text = text.strip()
    store = store_of(text)
    if store is None or os.path.exists(text):
        return _plain(text, folders, error)
    entries = store_entries(store)
    entry = _match(text, store, entries, error)
    if entry is None:
        raise error(_unknown(text, store, entries))
    if entry.problem:
        raise error(f"{entry.name} is listed by {STORE_TITLES[store]} but cannot be used: {entry.problem}.")
    found = describe(entry)
    if found is not None and found.error is None and found.kind != kind:
        what = {MODEL: "model", ADAPTER: "LoRA adapter"}
        flag = "--adapter" if found.kind == ADAPTER else "--model"
        raise error(f"{entry.name} is a {what[found.kind]}, not a {what[kind]}: give it with {flag}.")
    return entry.path


def _plain(text: str, folders: Sequence[str], error: type[EngineError]) -> str:
    """A path as given; a bare file name that is not here, found in `folders` if it is there once."""
    if os.path.exists(text) or not folders or os.sep in text or "/" in text:
        return text
    hits = [str(p) for folder in folders for p in gguf_files(Path(folder).expanduser()) if p.name == text]
    hits = list(dict.fromkeys(hits))
    if len(hits) > 1:
        raise error(f"{text} is in more than one of your model folders: {', '.join(hits)}. Give the path.")
    return hits[0] if hits else text


def _key(text: str, store: str) -> str:
    if store == ollama.STORE:
        return ollama.full_name(text) or text
    return text


def _match(text: str, store: str, entries: list[StoreEntry], error: type[EngineError]) -> StoreEntry | None:
    key = _key(text, store)
    for same in (lambda name: name == key, lambda name: name.lower() == key.lower()):
        hits = [e for e in entries if same(e.name)]
        if len(hits) == 1 or (hits and store == ollama.STORE):
            return hits[0]
    if store == ollama.STORE:
        return None
    folder, colon, tag = key.rpartition(":") if key.count(":") > 1 else (key, "", "")
    inside = [e for e in entries if e.name.lower().startswith(folder.lower().rstrip("/") + "/")]
    if colon:
        inside = [e for e in inside if tag.lower() in Path(e.name).name.lower()]
    if len(inside) == 1:
        return inside[0]
    if len(inside) > 1:
        raise error(f"{text} matches {len(inside)} files; name one: "
                    + ", ".join(e.name for e in inside[:10]) + ("" if len(inside) <= 10 else ", ..."))
    return None


def close_matches(text: str, names: Sequence[str], n: int = CLOSE_MATCHES) -> list[str]:
    """The names most like `text` (difflib, the store prefix aside), then names containing its
    last part (`llama3` in `ollama:llama3.2:1b`)."""
    def bare(name: str) -> str:
        return name.split(":", 1)[1].lower() if store_of(name) else name.lower()

    by_bare = {bare(name): name for name in names}
    picks = [by_bare[m] for m in difflib.get_close_matches(bare(text), list(by_bare), n=n, cutoff=0.6)]
    tail = bare(text).rsplit("/", 1)[-1].split(":")[0].removesuffix(".gguf")
    if tail:
        picks += [name for low, name in by_bare.items() if tail in low and name not in picks]
    return picks[:n]


def _unknown(text: str, store: str, entries: list[StoreEntry]) -> str:
    title = STORE_TITLES[store]
    matches = close_matches(_key(text, store), [e.name for e in entries])
    if matches:
        said = f" Close matches: {', '.join(matches)}."
    elif entries:
        count = f"{len(entries)} other{'s' if len(entries) > 1 else ''}"
        said = f" It has {count}; `logitscope models --store {store}` lists them."
    else:
        said = " It has no GGUF models."
    looked = ", ".join(f"{loc.path}{'' if loc.exists else ' (not there)'}" for loc in searched_locations([store]))
    return f"No {title} model named {text!r}.{said} Looked in: {looked}."
