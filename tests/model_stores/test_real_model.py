"""The embedded default model, placed in a fake HF cache and a fake Ollama store, resolves by its
store names to a file whose header reads as SmolLM2's: llama, Q4_1, a chat template."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_fixtures import hf_repo, ollama_model

from engine.gguf import read_gguf_header
from engine.model_stores import discover_models, resolve_model

pytestmark = pytest.mark.model


def test_the_default_model_resolves_from_hf_and_ollama_and_reads_as_llama_q4_1(stores, default_model):
    source = Path(default_model)
    hf_repo(stores.hf, "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", {source.name: source}, link=True)
    ollama_model(stores.ollama, "smollm2", "135m", source, link=True)
    paths = {name: resolve_model(name) for name in (
        f"hf:HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/{source.name}", "hf:HuggingFaceTB/SmolLM2-135M-Instruct-GGUF",
        "ollama:smollm2:135m")}
    assert paths["hf:HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"] == paths[
        f"hf:HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/{source.name}"]
    for path in paths.values():
        with open(path, "rb") as found, open(source, "rb") as original:
            assert found.read(1 << 16) == original.read(1 << 16)
        assert Path(path).stat().st_size == source.stat().st_size
        fields, _ = read_gguf_header(path)
        assert fields["general.architecture"] == "llama"
        assert fields["general.file_type"] == 3  # Q4_1
        assert "<|im_start|>" in str(fields["tokenizer.chat_template"])
    listed = {m.name: m for m in discover_models()}
    for name in ("ollama:smollm2:135m", f"hf:HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/{source.name}"):
        assert (listed[name].architecture, listed[name].quantization, listed[name].chat_template,
                listed[name].context_length, listed[name].size) == ("llama", "Q4_1", True, 8192, source.stat().st_size)


def test_ask_takes_a_store_name_for_model(stores, default_model, capsys):
    """`--model ollama:NAME:TAG` loads the file the store names: the provenance says that file."""
    import json

    from tui.cli.main import main

    source = Path(default_model)
    ollama_model(stores.ollama, "smollm2", "135m", source, link=True)
    expected = resolve_model("ollama:smollm2:135m")
    assert main(["ask", "Hi", "--model", "ollama:smollm2:135m", "--max-tokens", "2", "--temperature", "0",
                 "--n-ctx", "512", "--json"]) == 0
    done = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert done["provenance"]["model_path"] == expected and "blobs" in expected
    assert main(["ask", "Hi", "--model", "ollama:nosuch:1b"]) == 1
    assert "ollama:nosuch:1b" in capsys.readouterr().err
