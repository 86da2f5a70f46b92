"""Each store's listing, from fake stores laid out as the tools lay them out (Linux paths)."""

from __future__ import annotations

import json

from store_fixtures import hf_repo, ollama_model, write_adapter, write_model

from engine.model_stores import discover_models, locate_models, searched_locations
from engine.model_stores import hf_cache as hf_store
from engine.model_stores import llamacpp_cache as llamacpp_store
from engine.model_stores import lmstudio as lmstudio_store


def names(store: str, folders=()) -> list[str]:
    return [m.name for m in discover_models([store], folders)]


def test_hf_cache_lists_main_files_and_other_revisions_files_main_lacks(stores):
    one = write_model(stores.files / "one.gguf", name="One")
    two = write_model(stores.files / "two.gguf", name="Two")
    three = write_model(stores.files / "three.gguf", name="Three")
    hf_repo(stores.hf, "org/tiny-GGUF", {"tiny-Q4_1.gguf": one, "README.md": one}, revision="b" * 40)
    hf_repo(stores.hf, "org/tiny-GGUF", {"tiny-Q4_1.gguf": two, "tiny-Q8_0.gguf": three, "sub/x.gguf": two},
            revision="c" * 40, main=False)
    (stores.hf / "datasets--org--data" / "snapshots").mkdir(parents=True)
    found = discover_models(["hf"])
    assert [m.name for m in found] == ["hf:org/tiny-GGUF/tiny-Q4_1.gguf", "hf:org/tiny-GGUF/sub/x.gguf",
                                       "hf:org/tiny-GGUF/tiny-Q8_0.gguf"]
    assert found[0].model_name == "One"  # main's revision wins over the other one's file of that name
    assert found[0].path == str(stores.hf / "models--org--tiny-GGUF" / "snapshots" / ("b" * 40) / "tiny-Q4_1.gguf")


def test_hf_cache_location_follows_huggingface_hub(stores, monkeypatch):
    env = {"HF_HOME": "/x/hf"}
    assert hf_store.locations(env, stores.home) == [stores.home.parent / "/x/hf/hub"]
    assert hf_store.locations({"HF_HUB_CACHE": "/y", **env}, stores.home)[0].as_posix() == "/y"
    assert hf_store.locations({"XDG_CACHE_HOME": "/c"}, stores.home)[0].as_posix() == "/c/huggingface/hub"
    assert hf_store.locations({}, stores.home) == [stores.home / ".cache" / "huggingface" / "hub"]
    monkeypatch.delenv("HF_HUB_CACHE")
    model = write_model(stores.files / "m.gguf")
    hf_repo(stores.home / ".cache" / "huggingface" / "hub", "org/r", {"m.gguf": model})
    assert names("hf") == ["hf:org/r/m.gguf"]


def test_ollama_names_library_namespaces_hosts_and_adapters(stores):
    model = write_model(stores.files / "m.gguf", name="Llama")
    adapter = write_adapter(stores.files / "a.gguf")
    ollama_model(stores.ollama, "llama3.2", "1b", model)
    ollama_model(stores.ollama, "llama3.2", "latest", model)
    ollama_model(stores.ollama, "tool", "v1", model, namespace="someone")
    ollama_model(stores.ollama, "Tiny-GGUF", "Q4_1", model, host="hf.co", namespace="org")
    ollama_model(stores.ollama, "tuned", "latest", model, adapters=(adapter,))
    ollama_model(stores.ollama, "embedder", "latest", None)  # no GGUF layer: nothing to list
    found = {m.name: m for m in discover_models(["ollama"])}
    assert list(found) == ["ollama:hf.co/org/Tiny-GGUF:Q4_1", "ollama:llama3.2:1b", "ollama:llama3.2:latest",
                           "ollama:someone/tool:v1", "ollama:tuned:latest", "ollama:tuned:latest@adapter"]
    assert found["ollama:llama3.2:1b"].path == found["ollama:llama3.2:latest"].path  # one blob, both names
    assert found["ollama:llama3.2:1b"].path.startswith(str(stores.ollama / "blobs" / "sha256-"))
    assert found["ollama:llama3.2:1b"].model_name == "Llama"
    assert found["ollama:tuned:latest"].pairs_with == ("ollama:tuned:latest@adapter",)
    assert (found["ollama:tuned:latest@adapter"].kind, found["ollama:tuned:latest@adapter"].pairs_with) == (
        "adapter", ("ollama:tuned:latest",))


def test_ollama_missing_blobs_and_foreign_digests(stores):
    model = write_model(stores.files / "m.gguf")
    ollama_model(stores.ollama, "gone", "latest", None, digest="sha256:" + "e" * 64)
    ollama_model(stores.ollama, "escape", "latest", None, digest="sha256:../../etc/passwd")
    ollama_model(stores.ollama, "fine", "latest", model)
    (stores.ollama / "manifests" / "registry.ollama.ai" / "library" / "broken").mkdir()
    (stores.ollama / "manifests" / "registry.ollama.ai" / "library" / "broken" / "latest").write_text("{nope")
    found = {m.name: m for m in discover_models(["ollama"])}
    assert list(found) == ["ollama:fine:latest", "ollama:gone:latest"]
    assert found["ollama:gone:latest"].error == f"blob sha256-{'e' * 64} missing (ollama pull gone:latest)"


def test_ollama_without_its_variable_looks_in_home_and_the_linux_service_store(stores, monkeypatch):
    monkeypatch.delenv("OLLAMA_MODELS")
    model = write_model(stores.files / "m.gguf")
    ollama_model(stores.home / ".ollama" / "models", "mine", "latest", model)
    ollama_model(stores.service, "service", "latest", model)
    assert names("ollama") == ["ollama:mine:latest", "ollama:service:latest"]


def test_lm_studio_folders_new_old_moved_and_pointed_to(stores):
    model = write_model(stores.files / "m.gguf")
    home = stores.home

    def put(root, relative):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(model.read_bytes())

    put(home / ".lmstudio" / "models", "lmstudio-community/Tiny-GGUF/Tiny-Q4_1.gguf")
    put(home / ".cache" / "lm-studio" / "models", "old/Repo/old.gguf")
    assert names("lmstudio") == ["lmstudio:lmstudio-community/Tiny-GGUF/Tiny-Q4_1.gguf", "lmstudio:old/Repo/old.gguf"]
    moved = stores.files / "elsewhere"
    put(moved, "pub/Moved/moved.gguf")
    (home / ".lmstudio" / "settings.json").write_text(json.dumps({"downloadsFolder": str(moved)}))
    assert "lmstudio:pub/Moved/moved.gguf" in names("lmstudio")
    pointed = stores.files / "lmhome"
    put(pointed / "models", "p/R/pointed.gguf")
    (home / ".lmstudio-home-pointer").write_text(f"{pointed}\n")
    assert "lmstudio:p/R/pointed.gguf" in names("lmstudio")
    assert str(pointed / "models") in [str(p) for p in lmstudio_store.locations({}, home)]


def test_llama_cpp_cache_flat_files_and_hf_layout(stores):
    model = write_model(stores.files / "m.gguf")
    stores.llamacpp.mkdir()
    (stores.llamacpp / "org_repo_tiny.gguf").write_bytes(model.read_bytes())
    (stores.llamacpp / "org_repo_tiny.gguf.json").write_text("{}")
    hf_repo(stores.llamacpp, "org/new", {"new.gguf": model})
    assert names("llamacpp") == ["llamacpp:org_repo_tiny.gguf", "llamacpp:org/new/new.gguf"]
    assert llamacpp_store.locations({}, stores.home) == [stores.home / ".cache" / "llama.cpp"]
    assert llamacpp_store.locations({"XDG_CACHE_HOME": "/c"}, stores.home)[0].as_posix() == "/c/llama.cpp"


def test_user_folders_are_walked_recursively_and_named_by_path(stores):
    deep = write_model(stores.files / "a" / "b" / "deep.gguf")
    top = write_model(stores.files / "top.gguf")
    (stores.files / ".hidden").mkdir()
    write_model(stores.files / ".hidden" / "skip.gguf")
    (stores.files / "a" / "loop").symlink_to(stores.files)  # a symlink loop is walked once
    assert names("folder", [str(stores.files)]) == [str(deep), str(top)]


def test_one_file_is_listed_once_under_the_first_store_that_names_it(stores):
    model = write_model(stores.files / "m.gguf")
    hf_repo(stores.hf, "org/r", {"m.gguf": model})
    everything = locate_models(folders=[str(stores.hf)])
    assert [e.name for e in everything] == ["hf:org/r/m.gguf"]


def test_where_it_looked(stores):
    stores.hf.mkdir()
    looked = {(loc.store, loc.path): loc.exists for loc in searched_locations(folders=[str(stores.files)])}
    assert looked[("hf", str(stores.hf))] is True
    assert looked[("ollama", str(stores.ollama))] is False
    assert ("lmstudio", str(stores.home / ".lmstudio" / "models")) in looked
    assert ("folder", str(stores.files)) in looked
