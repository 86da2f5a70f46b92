"""The runtime facts in a turn's provenance: journaled and read back exactly, absent (None) in
journals written before them, and named by the session comparison when two turns' numbers came
from different backends or settings (sessions/runtime_diff.py), in `session compare --json` too."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

from engine.types import FlashAttention, Runtime
from sessions import Session, SessionStore, make_turn, record_turn, synthetic
from sessions.compare import compare_turns
from sessions.runtime_diff import RuntimeDifference, runtime_differences, runtime_note
from tui.cli.main import main

V1 = Path(__file__).parent / "data" / "v1-branch.jsonl"

CPU = Runtime(backends=("CPU",), devices=("CPU: AMD EPYC 7B13",), layers_offloaded=0, layers_total=31,
              flash_attn_in_effect=True, type_k="f16", type_v="f16", n_batch=512, n_ubatch=64,
              n_threads=2, n_threads_batch=2)
CUDA = replace(CPU, backends=("CUDA", "CPU"), devices=("CUDA0: NVIDIA H100 80GB HBM3",), n_gpu_layers=-1,
               layers_offloaded=31, n_threads=16, n_threads_batch=16)


def generation(runtime: Runtime | None, seed: int = 3):
    request, result = synthetic.generation(random.Random(seed), 8)
    return request, replace(result, provenance=replace(result.provenance, runtime=runtime))


def test_the_runtime_is_journaled_and_read_back_exactly(tmp_path):
    store = SessionStore(tmp_path)
    session = store.create("rt")
    partial = replace(CUDA, flash_attn=FlashAttention.OFF, flash_attn_in_effect=None, layers_offloaded=None)
    for runtime in (CPU, partial):
        record_turn(session, *generation(runtime))
    reopened = store.open(session.id)
    assert [t.provenance.runtime for t in reopened.turns] == [CPU, partial]
    line = json.loads(Path(session.path).read_text().splitlines()[2])  # the second turn
    assert line["result"]["provenance"]["runtime"]["flash_attn"] == "off"
    assert line["result"]["provenance"]["runtime"]["devices"] == ["CUDA0: NVIDIA H100 80GB HBM3"]


def test_a_journal_from_before_the_runtime_reads_as_none():
    session = Session.open(V1)
    assert session.turns and all(t.provenance.runtime is None for t in session.turns)


def test_the_same_runtime_is_no_difference_and_threads_do_not_count():
    assert runtime_differences(CPU, replace(CPU, n_threads=8, n_threads_batch=8)) == ()
    assert runtime_differences(None, None) == ()
    a, b = make_turn(*generation(CPU)), make_turn(*generation(CPU))
    comparison = compare_turns(a, b)
    assert comparison.runtime_differences == () and comparison.runtime_note == ""


def test_turns_from_different_backends_say_so_with_the_size_to_expect():
    comparison = compare_turns(make_turn(*generation(CPU)), make_turn(*generation(CUDA)))
    assert comparison.runtime_differences == (
        RuntimeDifference("backend", "CPU (AMD EPYC 7B13)", "CUDA0 (NVIDIA H100 80GB HBM3)"),)
    assert comparison.runtime_note == (
        "numbers from different backends: CPU (AMD EPYC 7B13) vs CUDA0 (NVIDIA H100 80GB HBM3); "
        "logprobs may differ by ~0.3 nats where the tokens agree")


def test_flash_attention_kv_cache_and_micro_batch_differences_are_named():
    off = replace(CPU, flash_attn=FlashAttention.OFF, flash_attn_in_effect=False)
    assert runtime_note(runtime_differences(CPU, off)) == (
        "numbers from different flash-attention settings: flash attention on vs off; logprobs may "
        "differ by ~0.1 nats where the tokens agree")
    other = replace(off, type_k="q8_0", type_v="q8_0", n_ubatch=512)
    assert [d.what for d in runtime_differences(CPU, other)] == ["flash attention", "KV cache", "micro-batch"]
    assert "KV cache f16/f16 vs q8_0/q8_0, micro-batch 64 vs 512" in runtime_note(runtime_differences(CPU, other))
    gpu_build = replace(CPU, backends=("CUDA", "CPU"))  # same placement, another build
    assert runtime_note(runtime_differences(CPU, gpu_build)).startswith(
        "numbers from different backends: backends compiled in CPU vs CUDA, CPU")
    unresolved = replace(CPU, flash_attn_in_effect=None)
    assert runtime_differences(CPU, unresolved) == (
        RuntimeDifference("flash attention", "on", "auto (not reported)"),)


def test_a_turn_without_a_recorded_runtime_is_called_out():
    note = compare_turns(make_turn(*generation(None)), make_turn(*generation(CUDA))).runtime_note
    assert note == ("A does not record its backend (journaled before it was recorded, or a failed "
                    "answer); B: CUDA0 (NVIDIA H100 80GB HBM3), flash attention on; the numbers may "
                    "come from different backends")


def test_session_compare_json_carries_the_differences(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    store = SessionStore(tmp_path)
    record_turn(store.create("on-cpu"), *generation(CPU))
    record_turn(store.create("on-gpu"), *generation(CUDA))
    assert main(["session", "compare", "on-cpu", "on-gpu", "--json"]) == 0
    turn = json.loads(capsys.readouterr().out)["turns"][0]
    assert turn["runtime_differences"] == [{"what": "backend", "a": "CPU (AMD EPYC 7B13)",
                                            "b": "CUDA0 (NVIDIA H100 80GB HBM3)"}]
    assert turn["runtime_note"].startswith("numbers from different backends: CPU")
