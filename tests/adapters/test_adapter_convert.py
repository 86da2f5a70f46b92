"""Conversion details that need no torch: the rotary permutation, PEFT scaling rules, errors,
and the provenance that `adapter inspect` reads back."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from safetensors_writer import write_safetensors

from adapters.convert import convert_peft, permute_for_rope
from adapters.errors import AdapterToolError
from adapters.inspect import inspect_adapter
from adapters.peft_files import load_peft_pairs

PREFIX = "base_model.model.model.layers.0."


def test_permutation_interleaves_the_two_halves_of_each_head():
    rows = np.arange(8).reshape(8, 1)  # 2 heads of size 4: halves (0,1|2,3) and (4,5|6,7)
    assert permute_for_rope(rows, 2).ravel().tolist() == [0, 2, 1, 3, 4, 6, 5, 7]
    with pytest.raises(AdapterToolError):
        permute_for_rope(np.zeros((6, 2)), 4)


def _peft_dir(path, config: dict, tensors: dict, bf16: bool = False):
    path.mkdir(parents=True, exist_ok=True)
    base = {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]}
    (path / "adapter_config.json").write_text(json.dumps(base | config))
    write_safetensors(path / "adapter_model.safetensors", tensors, bf16=bf16)
    return path


def _ab(rank: int, n_in: int, n_out: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((rank, n_in)).astype(np.float32),
            rng.standard_normal((n_out, rank)).astype(np.float32))


def test_per_module_rank_alpha_and_rslora_fold_into_lora_b(tmp_path):
    q, v = _ab(4, 64, 64), _ab(2, 64, 32, seed=1)
    tensors = {PREFIX + "self_attn.q_proj.lora_A.weight": q[0], PREFIX + "self_attn.q_proj.lora_B.weight": q[1],
               PREFIX + "self_attn.v_proj.lora_A.weight": v[0], PREFIX + "self_attn.v_proj.lora_B.weight": v[1]}
    folder = _peft_dir(tmp_path / "p", {"rank_pattern": {"v_proj": 2}, "alpha_pattern": {"v_proj": 6}}, tensors)
    pairs, alpha, _ = load_peft_pairs(folder)
    assert alpha == 8.0  # llama.cpp: alpha / r = 8 / 4 = PEFT's q_proj scaling
    assert np.allclose(pairs["model.layers.0.self_attn.q_proj"][1], q[1])
    # v_proj: PEFT scales by 6 / 2 = 3; llama.cpp would apply 8 / 2 = 4, so B carries 3/4.
    assert np.allclose(pairs["model.layers.0.self_attn.v_proj"][1], v[1] * 0.75)
    rs = _peft_dir(tmp_path / "rs", {"use_rslora": True}, tensors)
    pairs, alpha, _ = load_peft_pairs(rs)
    assert math.isclose(alpha / 4, 8 / math.sqrt(4))


def test_bf16_adapters_are_read(tmp_path):
    a, b = _ab(4, 64, 64)
    folder = _peft_dir(tmp_path / "p", {}, {PREFIX + "self_attn.q_proj.lora_A.weight": a,
                                            PREFIX + "self_attn.q_proj.lora_B.weight": b}, bf16=True)
    pairs, _, _ = load_peft_pairs(folder)
    assert np.allclose(pairs["model.layers.0.self_attn.q_proj"][0], a, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("config, key, needle", [
    ({"use_dora": True}, "self_attn.q_proj.lora_A.weight", "DoRA"),
    ({}, "embed_tokens.lora_embedding_A", "unsupported tensor"),
    ({"peft_type": "IA3"}, "self_attn.q_proj.lora_A.weight", "only LoRA"),
])
def test_unsupported_peft_adapters_are_refused(tmp_path, config, key, needle):
    folder = _peft_dir(tmp_path / "p", config, {PREFIX + key: np.zeros((4, 64), np.float32)})
    with pytest.raises(AdapterToolError, match=needle):
        load_peft_pairs(folder)


def test_not_a_peft_folder(tmp_path, tiny_gguf):
    with pytest.raises(AdapterToolError, match="adapter_config.json"):
        convert_peft(tmp_path, tiny_gguf, tmp_path / "x.gguf")


def test_convert_checks_shapes_against_the_base_and_records_provenance(tmp_path, tiny_gguf):
    a, b = _ab(4, 64, 64)
    good = _peft_dir(tmp_path / "good", {}, {PREFIX + "self_attn.q_proj.lora_A.weight": a,
                                             PREFIX + "self_attn.q_proj.lora_B.weight": b})
    (good / "logitscope_provenance.json").write_text(json.dumps({"dataset_sha256": "abc", "seed": 7}))
    out = convert_peft(good, tiny_gguf, tmp_path / "good.gguf")
    info = inspect_adapter(out)
    assert info.architecture == "llama" and info.adapter_type == "lora" and info.alpha == 8.0
    assert info.provenance["dataset_sha256"] == "abc" and info.provenance["seed"] == 7
    assert info.provenance["rank"] == 4 and info.provenance["targets"] == "q_proj"
    assert len(info.provenance["base_sha256"]) == 64 and "created" in info.provenance
    assert [(t.name, t.n_in, t.n_out, t.rank) for t in info.tensors] == [("blk.0.attn_q.weight", 64, 64, 4)]

    a, b = _ab(4, 48, 64)
    bad = _peft_dir(tmp_path / "bad", {}, {PREFIX + "self_attn.q_proj.lora_A.weight": a,
                                           PREFIX + "self_attn.q_proj.lora_B.weight": b})
    with pytest.raises(AdapterToolError, match="blk.0.attn_q.weight maps 64 -> 64"):
        convert_peft(bad, tiny_gguf, tmp_path / "bad.gguf")


def test_inspect_refuses_models_and_other_files(tmp_path, tiny_gguf):
    with pytest.raises(AdapterToolError, match="not an adapter"):
        inspect_adapter(tiny_gguf)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(AdapterToolError, match="not a GGUF file"):
        inspect_adapter(junk)
