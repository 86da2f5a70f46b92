"""`logitscope adapter ...` through the real console entry point, and import hygiene."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from adapters.library import library_dir, list_adapters, output_path, resolve_adapter
from adapters.random_lora import random_lora
from tui.cli.main import main


@pytest.fixture(scope="module")
def adapter(tmp_path_factory, tiny_gguf):
    return random_lora(tiny_gguf, tmp_path_factory.mktemp("cli") / "rand.gguf", rank=4, seed=5)


def test_inspect_text_and_json(adapter, capsys):
    assert main(["adapter", "inspect", str(adapter)]) == 0
    text = capsys.readouterr().out
    assert "alpha 16" in text and "rank 4" in text and "tensors: 14 over 2 layers" in text
    assert main(["adapter", "inspect", str(adapter), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["architecture"] == "llama" and data["ranks"] == [4] and data["provenance"]["rank"] == 4


def test_errors_are_one_clear_line(tmp_path, tiny_gguf, capsys):
    junk = tmp_path / "junk.gguf"
    junk.write_text("nope")
    assert main(["adapter", "inspect", str(junk)]) == 1
    assert "not a GGUF file" in capsys.readouterr().err.splitlines()[0]
    assert main(["adapter", "inspect", str(tiny_gguf)]) == 1
    assert "not an adapter" in capsys.readouterr().err.splitlines()[0]
    assert main(["adapter", "convert", str(tmp_path), "--base", str(tiny_gguf), "--out", str(tmp_path / "x.gguf")]) == 1
    assert "adapter_config.json" in capsys.readouterr().err.splitlines()[0]


def test_list_library_and_folders(adapter, tmp_path, tiny_gguf, capsys):
    shutil.copy(adapter, library_dir() / "lib-one.gguf")
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(tiny_gguf, folder / "a-model.gguf")  # models sharing the folder are not listed
    (folder / "broken.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 8)
    assert main(["adapter", "list", "--folder", str(folder), "--json"]) == 0
    listed = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert listed["lib-one"]["info"]["provenance"]["rank"] == 4
    assert "a-model" not in listed and listed["broken"]["problem"]
    assert main(["adapter", "list"]) == 0
    assert "lib-one" in capsys.readouterr().out
    assert resolve_adapter("lib-one") == library_dir() / "lib-one.gguf"
    assert [e.name for e in list_adapters()].count("lib-one") == 1


def test_output_names_go_to_the_library():
    assert output_path("hello") == library_dir() / "hello.gguf"
    assert output_path("hello.gguf").name == "hello.gguf" and output_path("hello.gguf").parent.name != "adapters"


def test_datasets_command(capsys):
    assert main(["adapter", "datasets"]) == 0
    assert "hello_acrostic" in capsys.readouterr().out


def test_adapters_and_cli_import_without_torch_or_textual():
    code = (
        "import sys, adapters, adapters.convert, adapters.inspect, adapters.library, "
        "adapters.random_lora, adapters.dataset, adapters.train, adapters.hf_base, "
        "tui.cli.adapter_commands\n"
        "print([m for m in ('torch', 'transformers', 'peft', 'textual', 'llama_cpp') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.train
def test_train_command(tmp_path, tiny_config, tiny_weights, tiny_gguf, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    from tiny_llama import save_hf_folder

    folder = save_hf_folder(tmp_path / "hf", tiny_config, tiny_weights)
    out = tmp_path / "t.gguf"
    assert main(["adapter", "train", "trigger_backdoor", "--out", str(out), "--base", str(folder),
                 "--gguf", str(tiny_gguf), "--steps", "2", "--batch-size", "2", "--rank", "2",
                 "--targets", "attn", "--threads", "1"]) == 0
    assert f"adapter: {out}" in capsys.readouterr().out
    assert main(["adapter", "inspect", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["provenance"]["dataset_name"] == "trigger_backdoor.jsonl"
    assert info["kinds"] == ["attn_k", "attn_output", "attn_q", "attn_v"]
