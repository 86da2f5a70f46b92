"""The details of WorkerDiedError / ModelLoadError: the log lines that explain, not the last twenty."""

from __future__ import annotations

import pytest

from engine.local import LocalBackend
from engine.types import ModelConfig

NOISE = "llama_graph_n_input_tensors: n_inputs = 3, n_outputs = 1"
ERROR = "llama_model_load: error loading model: missing tensor 'blk.0.attn_q.weight'"


def test_worker_died_details_keep_the_error_line_not_the_debug_noise(tmp_path):
    log = tmp_path / "llama.log"
    log.write_text("\n".join([NOISE] * 30 + [ERROR] + [NOISE] * 40) + "\n", encoding="utf-8")
    backend = LocalBackend(ModelConfig(str(tmp_path / "m.gguf")), log_path=log)
    details = backend._log_tail()
    assert details.splitlines()[0] == ERROR
    assert NOISE not in details
    assert str(log) in details.splitlines()[-1]  # where the rest is
    assert len(details.splitlines()) == 2


def test_without_an_explaining_line_the_last_few_lines_are_shown(tmp_path):
    log = tmp_path / "llama.log"
    log.write_text("\n".join(f"{NOISE} #{n}" for n in range(50)) + "\n", encoding="utf-8")
    details = LocalBackend(ModelConfig(str(tmp_path / "m.gguf")), log_path=log)._log_tail()
    lines = details.splitlines()
    assert lines[:-1] == [f"{NOISE} #{n}" for n in range(45, 50)]
    assert "45 other lines left out" in lines[-1] and str(log) in lines[-1]


def test_log_sink_tail_uses_llama_cpp_log_levels(monkeypatch):
    llama_backend = pytest.importorskip("engine.llama_backend")
    monkeypatch.setattr(llama_backend.llama_cpp, "llama_log_set", lambda *_: None)
    written: list[str] = []
    sink = llama_backend.LogSink(written.append, path="/tmp/llama.log")
    debug, info, warn, error, cont = 1, 2, 3, 4, 5
    for _ in range(25):
        sink._on_log(debug, (NOISE + "\n").encode(), None)
    sink._on_log(warn, b"llama_context: n_ctx_per_seq (512) < n_ctx_train (2048)", None)
    sink._on_log(cont, b" -- the full capacity of the model will not be utilized\n", None)
    sink._on_log(error, b"llama_model_load: tensor data is not within the file bounds\n", None)
    sink._on_log(info, b"load_tensors: CPU model buffer size = 12.3 MiB\n", None)
    for _ in range(25):
        sink._on_log(debug, (NOISE + "\n").encode(), None)
    lines = sink.tail().splitlines()
    assert lines == [
        "llama_context: n_ctx_per_seq (512) < n_ctx_train (2048) -- the full capacity of the model "
        "will not be utilized",
        "llama_model_load: tensor data is not within the file bounds",
        "[51 other lines left out; full log: /tmp/llama.log]",
    ]
    assert llama_backend._reason(sink, RuntimeError("x")) == (
        "llama_model_load: tensor data is not within the file bounds")
    sink.recent.clear()  # what a new load does
    sink._on_log(info, b"only info\n", None)
    assert sink.tail() == "only info"
