"""Ollama's store: the GGUF blobs behind `ollama pull`'s names, found through its manifests.

Where: `OLLAMA_MODELS` if set, else `~/.ollama/models` (every platform; on Windows the home is
%USERPROFILE%) and, on Linux, the system service's `/usr/share/ollama/.ollama/models`.

Layout, from Ollama's own source (ollama/ollama): manifests are JSON files at
`manifests/HOST/NAMESPACE/MODEL/TAG` (types/model/name.go `Name.Filepath`, globbed as
`manifests/*/*/*/*` by server/manifest.go `Manifests`); each `layers` entry has a `mediaType`,
a `digest` `sha256:HEX` and a `size`; the blob is `blobs/sha256-HEX` (server/modelpath.go
`GetBlobsPath`, which accepts only `^sha256[:-][0-9a-fA-F]{64}$`: so does this, so a manifest
cannot point outside `blobs/`). The model's GGUF is the `application/vnd.ollama.image.model`
layer (a split import is merged into one, server/create_split_gguf.go); a Modelfile's ADAPTER is
an `application/vnd.ollama.image.adapter` layer. Names compare case-insensitively
(`Name.EqualFold`); the defaults are host `registry.ollama.ai`, namespace `library`, tag
`latest` (`FillDefault`).

Named `ollama:MODEL:TAG` (the library namespace), `ollama:NAMESPACE/MODEL:TAG` (another
namespace on registry.ollama.ai), `ollama:HOST/NAMESPACE/MODEL:TAG` (another host, e.g.
`hf.co/ORG/REPO:Q4_K_M`); a manifest's adapters as `NAME@adapter` (then `@adapter2`, ...).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from .found import ADAPTER, MODEL, StoreEntry

STORE = "ollama"
PREFIX = "ollama:"
DEFAULT_HOST, DEFAULT_NAMESPACE, DEFAULT_TAG = "registry.ollama.ai", "library", "latest"
MODEL_LAYER = "application/vnd.ollama.image.model"
ADAPTER_LAYER = "application/vnd.ollama.image.adapter"
LINUX_SERVICE_MODELS = Path("/usr/share/ollama/.ollama/models")
_DIGEST = re.compile(r"^sha256[:-]([0-9a-fA-F]{64})$")


def locations(env: Mapping[str, str], home: Path) -> list[Path]:
    if env.get("OLLAMA_MODELS"):
        return [Path(env["OLLAMA_MODELS"]).expanduser()]
    roots = [home / ".ollama" / "models"]
    if sys.platform.startswith("linux"):
        roots.append(LINUX_SERVICE_MODELS)
    return roots


def display_name(host: str, namespace: str, model: str, tag: str) -> str:
    """The shortest name that says it: Ollama's DisplayShortest, with the tag always shown."""
    if host.lower() == DEFAULT_HOST:
        if namespace.lower() == DEFAULT_NAMESPACE:
            return f"{PREFIX}{model}:{tag}"
        return f"{PREFIX}{namespace}/{model}:{tag}"
    return f"{PREFIX}{host}/{namespace}/{model}:{tag}"


def full_name(text: str) -> str | None:
    """`ollama:llama3.2` -> `ollama:llama3.2:latest`, in `display_name`'s spelling; None if it
    is not a name (a part missing, or a `@` suffix other than an adapter's)."""
    body, _, suffix = text[len(PREFIX):].partition("@")
    path, colon, tag = body.rpartition(":")
    if not colon or "/" in tag:
        path, tag = body, DEFAULT_TAG
    parts = path.split("/")
    if not all(parts) or len(parts) > 3 or not tag:
        return None
    host, namespace = DEFAULT_HOST, DEFAULT_NAMESPACE
    if len(parts) == 3:
        host, namespace = parts[0], parts[1]
    elif len(parts) == 2:
        namespace = parts[0]
    name = display_name(host, namespace, parts[-1], tag)
    return f"{name}@{suffix}" if suffix else name


def blob_path(root: Path, digest: object) -> Path | None:
    match = _DIGEST.match(digest) if isinstance(digest, str) else None
    return root / "blobs" / f"sha256-{match[1].lower()}" if match else None


def _manifest_entries(root: Path, manifest: Path, name: str) -> list[StoreEntry]:
    try:
        layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers")
    except (OSError, ValueError, AttributeError):
        return []
    if not isinstance(layers, list):
        return []
    models = [layer for layer in layers if isinstance(layer, dict) and layer.get("mediaType") == MODEL_LAYER]
    adapters = [layer for layer in layers if isinstance(layer, dict) and layer.get("mediaType") == ADAPTER_LAYER]
    adapter_names = tuple(f"{name}@adapter{n + 1 if n else ''}" for n in range(len(adapters)))
    entries: list[StoreEntry] = []
    for layer, entry_name, kind, pairs in (
            [(layer, name, MODEL, adapter_names) for layer in models[:1]]
            + [(layer, adapter_name, ADAPTER, (name,) if models else ())
               for layer, adapter_name in zip(adapters, adapter_names, strict=True)]):
        blob = blob_path(root, layer.get("digest"))
        if blob is None:
            continue  # not a sha256 digest: nothing Ollama itself would read
        problem = None if blob.is_file() else f"blob {blob.name} missing (ollama pull {name[len(PREFIX):]})"
        entries.append(StoreEntry(STORE, entry_name, str(blob), kind=kind, pairs_with=pairs, problem=problem))
    return entries


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:  # a folder we may not read: skip it, keep the rest
        return []


def store_entries(root: Path) -> list[StoreEntry]:
    """Every manifest's model (and adapters) under one Ollama models folder, by name."""
    found = [(display_name(host.name, namespace.name, model.name, tag.name), tag)
             for host in _children(root / "manifests") for namespace in _children(host)
             for model in _children(namespace) for tag in _children(model) if tag.is_file()]
    found.sort(key=lambda item: item[0].lower())
    return [entry for name, manifest in found for entry in _manifest_entries(root, manifest, name)]


def locate(env: Mapping[str, str] | None = None, home: Path | None = None) -> list[StoreEntry]:
    env = os.environ if env is None else env
    return [e for root in locations(env, home or Path.home()) for e in store_entries(root)]
