"""A request's adapters as llama.cpp's server's per-request `lora` list.

The server loads its adapters at start (`--lora FILE`) and lists them by id at `/lora-adapters`;
a request names each by id with a scale, and every adapter it does not name runs at 0. An
adapter is matched by its path, else by its file name; one the server has not loaded is refused
with the list of those it has (a remote engine cannot load a file from this machine).
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import AdapterError
from ..types import AdapterSpec


def lora_field(specs: tuple[AdapterSpec, ...], loaded: tuple[tuple[int, str], ...]) -> list[dict[str, Any]]:
    scales = {adapter_id: 0.0 for adapter_id, _ in loaded}
    for spec in specs:
        adapter_id = match(spec.path, loaded)
        scales[adapter_id] = scales.get(adapter_id, 0.0) + spec.scale if adapter_id in scales else spec.scale
    return [{"id": i, "scale": s} for i, s in sorted(scales.items())]


def match(path: str, loaded: tuple[tuple[int, str], ...]) -> int:
    for adapter_id, server_path in loaded:
        if server_path == path:
            return adapter_id
    name = os.path.basename(path)
    found = [adapter_id for adapter_id, server_path in loaded if os.path.basename(server_path) == name]
    if len(found) == 1:
        return found[0]
    have = ", ".join(f"{i}: {os.path.basename(p)}" for i, p in loaded) or "none"
    raise AdapterError(f"The remote engine has no adapter {name!r} loaded (it has {have}). "
                       f"Start llama-server with --lora {name} to use it remotely.")
