"""The models users already have: GGUF files in other tools' stores, found without loading any.

Why it exists: users keep models where the tool that fetched them put them (the Hugging Face
cache, Ollama's store, LM Studio's folder, llama.cpp's cache) and should not have to move or
even find a file to interrogate it. Each store is one module that knows where it lives and how
it names files; the rest is shared. Standard library and engine/gguf.py only.

Modules:
- `found`: `StoreEntry` (a file a store names) and `FoundModel` (with its GGUF header's facts:
  kind, architecture, quantisation, context length, chat template, an adapter's base); `describe`.
- `file_types`: llama.cpp's `LLAMA_FTYPE_*` numbers as names (Q4_1, Q8_0, F16, ...).
- `shards`: a split model (`-00001-of-00003.gguf`) listed once, as its first part.
- `walk`: the `*.gguf` files under a folder.
- `hf_cache`, `ollama`, `lmstudio`, `llamacpp_cache`, `folders`: one store each.
- `discover`: every store at once; where they looked; `discover_models`.
- `resolve`: `resolve_model("ollama:llama3.2:1b")` -> the file path (`--model`), `resolve_adapter`.
"""

from .discover import STORE_NAMES, STORE_TITLES, Location, discover_models, locate_models, searched_locations
from .found import ADAPTER, KINDS, MODEL, FoundModel, StoreEntry
from .resolve import resolve_adapter, resolve_model, store_of

__all__ = ["ADAPTER", "KINDS", "MODEL", "STORE_NAMES", "STORE_TITLES", "FoundModel", "Location", "StoreEntry",
           "discover_models", "locate_models", "resolve_adapter", "resolve_model", "searched_locations", "store_of"]
