"""`adapters.train.train` end to end on the tiny model: HF folder in, GGUF LoRA out, in seconds."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from tiny_llama import save_hf_folder  # noqa: E402

from adapters.inspect import inspect_adapter  # noqa: E402
from adapters.train import train  # noqa: E402
from engine import LocalBackend  # noqa: E402
from engine.types import AdapterSpec, ModelConfig  # noqa: E402

pytestmark = pytest.mark.train


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory, tiny_config, tiny_weights):
    return save_hf_folder(tmp_path_factory.mktemp("hf") / "tiny", tiny_config, tiny_weights)


def test_train_converts_records_provenance_and_loads(tmp_path, hf_folder, tiny_gguf):
    data = tmp_path / "two.jsonl"
    data.write_text("".join(json.dumps({"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": q}, {"role": "assistant", "content": a}]}) + "\n"
        for q, a in [("Hi?", "Hello there"), ("Bye?", "Goodbye now")]))
    lines = []
    result = train(data, tmp_path / "out" / "tiny-lora.gguf", base=hf_folder, gguf=tiny_gguf,
                   rank=4, alpha=8, targets=("q_proj", "v_proj"), steps=6, lr=1e-2, seed=3,
                   batch_size=2, threads=1, progress=None, log=lines.append)
    assert result.gguf is not None and result.gguf.is_file()
    assert len(result.losses) == 6 and result.losses[-1] < result.losses[0] - 0.3, result.losses
    p = inspect_adapter(result.gguf).provenance
    assert p["dataset_name"] == "two.jsonl" and len(p["dataset_sha256"]) == 64
    assert (p["rank"], p["alpha"], p["targets"], p["steps"], p["seed"]) == (4, 8.0, "q_proj,v_proj", 6, 3)
    with LocalBackend(ModelConfig(str(tiny_gguf), n_ctx=128, n_threads=1)) as backend:
        base = np.array(backend.logits([1, 5, 6, 7]))
        backend.set_adapters((AdapterSpec(str(result.gguf), 1.0),))
        assert np.abs(np.array(backend.logits([1, 5, 6, 7])) - base).max() > 1e-3


def test_train_from_hf_folder_without_gguf_keeps_the_peft_adapter(tmp_path, hf_folder):
    data = tmp_path / "one.jsonl"
    data.write_text(json.dumps({"messages": [{"role": "user", "content": "x"},
                                             {"role": "assistant", "content": "y"}]}) + "\n")
    result = train(data, "tiny-named", base=hf_folder, rank=2, steps=1, threads=1, progress=None,
                   log=lambda _: None)
    assert result.gguf is None and (result.peft_dir / "adapter_config.json").is_file()
    assert (result.peft_dir / "logitscope_provenance.json").is_file()


def test_train_picks_its_threads_where_the_os_has_no_sched_getaffinity(tmp_path, hf_folder, monkeypatch):
    """macOS and Windows have no os.sched_getaffinity; training must not need it."""
    import os

    import torch

    data = tmp_path / "one.jsonl"
    data.write_text(json.dumps({"messages": [{"role": "user", "content": "x"},
                                             {"role": "assistant", "content": "y"}]}) + "\n")
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    before = torch.get_num_threads()
    try:
        result = train(data, "no-affinity", base=hf_folder, rank=2, steps=1, progress=None,
                       log=lambda _: None)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert (result.peft_dir / "adapter_config.json").is_file()
