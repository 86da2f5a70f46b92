"""`resolve_model`: store names to files, paths as they are, clear errors with close matches."""

from __future__ import annotations

import pytest
from store_fixtures import hf_repo, ollama_model, write_adapter, write_model

from engine.errors import AdapterError, ModelLoadError
from engine.model_stores import resolve_adapter, resolve_model


@pytest.fixture
def filled(stores):
    model = write_model(stores.files / "m.gguf")
    other = write_model(stores.files / "o.gguf", name="Other")
    adapter = write_adapter(stores.files / "a.gguf")
    ollama_model(stores.ollama, "llama3.2", "1b", model)
    ollama_model(stores.ollama, "llama3.2", "latest", other)
    ollama_model(stores.ollama, "tuned", "latest", model, adapters=(adapter,))
    ollama_model(stores.ollama, "Tiny-GGUF", "Q4_1", model, host="hf.co", namespace="org")
    hf_repo(stores.hf, "org/tiny-GGUF", {"tiny-Q4_1.gguf": model, "tiny-Q8_0.gguf": other})
    hf_repo(stores.hf, "org/solo", {"solo.gguf": model})
    hf_repo(stores.hf, "org/lora", {"lora.gguf": adapter})
    lm = stores.home / ".lmstudio" / "models" / "pub" / "Repo"
    lm.mkdir(parents=True)
    (lm / "lm.gguf").write_bytes(model.read_bytes())
    stores.llamacpp.mkdir()
    (stores.llamacpp / "flat.gguf").write_bytes(model.read_bytes())
    return stores


def test_ollama_names_resolve_with_the_default_tag_and_any_case(filled):
    one_b = resolve_model("ollama:llama3.2:1b")
    assert one_b.startswith(str(filled.ollama / "blobs" / "sha256-"))
    assert resolve_model("ollama:llama3.2") == resolve_model("ollama:llama3.2:latest") != one_b
    assert resolve_model("ollama:Llama3.2:1B") == one_b
    assert resolve_model("ollama:library/llama3.2:1b") == one_b
    assert resolve_model("ollama:registry.ollama.ai/library/llama3.2:1b") == one_b
    assert resolve_model("ollama:hf.co/org/Tiny-GGUF:Q4_1") == one_b


def test_an_ollama_adapter_resolves_only_as_an_adapter(filled):
    assert resolve_adapter("ollama:tuned@adapter").startswith(str(filled.ollama / "blobs"))
    with pytest.raises(ModelLoadError, match="is a LoRA adapter, not a model: give it with --adapter"):
        resolve_model("ollama:tuned:latest@adapter")
    with pytest.raises(AdapterError, match="is a model, not a LoRA adapter: give it with --model"):
        resolve_adapter("ollama:tuned")
    with pytest.raises(ModelLoadError, match="is a LoRA adapter"):
        resolve_model("hf:org/lora/lora.gguf")


def test_hf_names_whole_by_repository_and_by_tag(filled):
    snapshot = filled.hf / "models--org--tiny-GGUF" / "snapshots" / ("a" * 40)
    assert resolve_model("hf:org/tiny-GGUF/tiny-Q4_1.gguf") == str(snapshot / "tiny-Q4_1.gguf")
    assert resolve_model("hf:org/tiny-gguf/TINY-Q8_0.gguf") == str(snapshot / "tiny-Q8_0.gguf")
    assert resolve_model("hf:org/tiny-GGUF:q8_0") == str(snapshot / "tiny-Q8_0.gguf")
    assert resolve_model("hf:org/solo").endswith("solo.gguf")
    with pytest.raises(ModelLoadError, match=r"matches 2 files; name one: hf:org/tiny-GGUF/tiny-Q4_1.gguf"):
        resolve_model("hf:org/tiny-GGUF")


def test_lm_studio_and_llama_cpp_names(filled):
    assert resolve_model("lmstudio:pub/Repo/lm.gguf") == str(filled.home / ".lmstudio" / "models" / "pub" / "Repo"
                                                             / "lm.gguf")
    assert resolve_model("llamacpp:flat.gguf") == str(filled.llamacpp / "flat.gguf")


def test_paths_are_themselves_and_bare_names_are_found_in_folders(filled, tmp_path):
    assert resolve_model("/no/such/model.gguf") == "/no/such/model.gguf"  # the loader says it is missing
    assert resolve_model("relative/m.gguf") == "relative/m.gguf"
    assert resolve_model(str(filled.files / "m.gguf")) == str(filled.files / "m.gguf")
    assert resolve_model("o.gguf", folders=[str(filled.files)]) == str(filled.files / "o.gguf")
    assert resolve_model("absent.gguf", folders=[str(filled.files)]) == "absent.gguf"
    write_model(filled.files / "again" / "o.gguf")
    with pytest.raises(ModelLoadError, match="more than one of your model folders"):
        resolve_model("o.gguf", folders=[str(filled.files)])


def test_an_unknown_name_lists_close_matches_and_where_it_looked(filled):
    with pytest.raises(ModelLoadError) as caught:
        resolve_model("ollama:llama3.1:1b")
    message = caught.value.msg
    assert message.startswith("No Ollama model named 'ollama:llama3.1:1b'. Close matches: ollama:llama3.2:1b")
    assert f"Looked in: {filled.ollama}." in message
    with pytest.raises(ModelLoadError, match=r"Close matches: hf:org/tiny-GGUF/tiny-Q4_1.gguf"):
        resolve_model("hf:org/tiny-GGUF/tiny-Q4_2.gguf")
    with pytest.raises(ModelLoadError, match=r"It has 1 other; `logitscope models --store lmstudio` lists them. "
                                             r"Looked in: .*/\.lmstudio/models, .*lm-studio/models \(not there\)\.$"):
        resolve_model("lmstudio:nothing/like/this.gguf")


def test_an_empty_store_says_it_is_empty(stores):
    with pytest.raises(ModelLoadError, match=r"^No llama.cpp cache model named 'llamacpp:x.gguf'. It has no GGUF "
                                             r"models. Looked in: .*llamacpp \(not there\)\.$"):
        resolve_model("llamacpp:x.gguf")


def test_a_store_entry_whose_blob_is_gone_says_so(filled):
    ollama_model(filled.ollama, "gone", "latest", None, digest="sha256:" + "e" * 64)
    with pytest.raises(ModelLoadError, match=r"ollama:gone:latest is listed by Ollama but cannot be used: blob"):
        resolve_model("ollama:gone")
