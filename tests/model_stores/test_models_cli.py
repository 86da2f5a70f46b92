"""`logitscope models`: the table, one JSON object per file, --kind, --store, --models-dir."""

from __future__ import annotations

import json
import re

from store_fixtures import hf_repo, ollama_model, write_adapter, write_model

from tui.cli.main import main


def fill(stores):
    model = write_model(stores.files / "m.gguf", name="Tiny", context_length=4096)
    adapter = write_adapter(stores.files / "a.gguf", alpha=8.0)
    ollama_model(stores.ollama, "tuned", "1b", model, adapters=(adapter,))
    hf_repo(stores.hf, "org/tiny-GGUF", {"tiny-Q4_1.gguf": model})
    return model, adapter


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_the_table_has_a_row_per_file_with_its_facts(stores, capsys):
    model, _ = fill(stores)
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert cells(lines[0]) == ["name", "size", "arch", "quant", "ctx", "template", "path"]
    hf = cells(next(line for line in lines if line.startswith("hf:")))
    assert hf[:6] == ["hf:org/tiny-GGUF/tiny-Q4_1.gguf", f"{model.stat().st_size} B", "llama", "Q4_1", "4096", "yes"]
    assert hf[6] == str(stores.hf / "models--org--tiny-GGUF" / "snapshots" / ("a" * 40) / "tiny-Q4_1.gguf")
    row = lines.index(next(line for line in lines if line.startswith("ollama:tuned:1b@adapter ")))
    assert cells(lines[row])[2:4] == ["llama", "adapter"]
    assert lines[row + 1].strip() == "LoRA adapter for llama (base Tiny Base, by Org, alpha 8)"
    assert lines[row + 2].strip() == "its base: ollama:tuned:1b"
    model_row = lines.index(next(line for line in lines if line.startswith("ollama:tuned:1b ")))
    assert lines[model_row + 1].strip() == "Ollama applies: ollama:tuned:1b@adapter"


def test_json_is_one_object_per_file_with_every_field(stores, capsys):
    model, _ = fill(stores)
    assert main(["models", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in records] == ["hf:org/tiny-GGUF/tiny-Q4_1.gguf", "ollama:tuned:1b",
                                            "ollama:tuned:1b@adapter"]
    assert set(records[0]) == {"store", "name", "path", "size", "kind", "architecture", "quantization", "file_type",
                               "context_length", "chat_template", "model_name", "parts", "lora_alpha", "base_name",
                               "base_organization", "base_repo_url", "base_sha256", "pairs_with", "error"}
    assert (records[0]["store"], records[0]["size"], records[0]["quantization"], records[0]["file_type"],
            records[0]["context_length"], records[0]["chat_template"], records[0]["model_name"]) == (
        "hf", model.stat().st_size, "Q4_1", 3, 4096, True, "Tiny")
    assert (records[2]["kind"], records[2]["lora_alpha"], records[2]["base_name"], records[2]["pairs_with"]) == (
        "adapter", 8.0, "Tiny Base", ["ollama:tuned:1b"])


def test_kind_store_and_models_dir_choose_what_is_listed(stores, capsys):
    fill(stores)
    extra = write_model(stores.files / "mine" / "x.gguf")
    main(["models", "--json", "--kind", "adapter"])
    assert [json.loads(line)["name"] for line in capsys.readouterr().out.splitlines()] == ["ollama:tuned:1b@adapter"]
    main(["models", "--json", "--store", "hf", "--store", "folder", "--models-dir", str(stores.files / "mine")])
    assert [json.loads(line)["name"] for line in capsys.readouterr().out.splitlines()] == [
        "hf:org/tiny-GGUF/tiny-Q4_1.gguf", str(extra)]


def test_nothing_found_says_where_it_looked(stores, capsys):
    assert main(["models", "--kind", "model"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "No GGUF models found. Looked in:"
    assert cells(out[1]) == ["hf", str(stores.hf), "(not there)"]
    assert any(line.split()[:2] == ["ollama", str(stores.ollama)] for line in out)
