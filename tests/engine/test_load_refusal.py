"""A model path refused before the worker sees it leaves the loaded model loaded."""

from __future__ import annotations

import pytest

from engine import ModelLoadError
from engine.types import ModelConfig


@pytest.mark.model
def test_a_refused_model_path_keeps_the_loaded_model_and_its_info(backend, tmp_path):
    before = backend.info
    notes = tmp_path / "notes.gguf"
    notes.write_text("not a model")
    with pytest.raises(ModelLoadError, match="is not a GGUF file"):
        backend.load(ModelConfig(str(notes), n_ctx=2048))
    assert backend.info is before  # still loaded: the next call needs no reload
    assert backend.config.model_path == before.path
    assert backend.tokenize("hello")
