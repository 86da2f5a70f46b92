"""Each token's bytes are read from llama.cpp once per model, not once per top-k alternative of
every step (about 10 ctypes calls a token on the hot path before they were cached).

Runs LlamaBackend in a child process: llama_cpp is imported only where the engine runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.model

SCRIPT = textwrap.dedent("""
    import json, sys
    import llama_cpp
    from engine.llama_backend import LlamaBackend, LogSink
    from engine.types import GenerationRequest, Message, ModelConfig, SamplingSettings

    calls = []
    real = llama_cpp.llama_token_to_piece
    def counting(vocab, token, *args):
        calls.append(token)
        return real(vocab, token, *args)
    llama_cpp.llama_token_to_piece = counting

    backend = LlamaBackend(ModelConfig(sys.argv[1], n_ctx=256, n_threads=1), LogSink(lambda _: None))
    request = GenerationRequest((Message("user", "Count to ten."),),
                                sampling=SamplingSettings(temperature=0.0), max_tokens=12,
                                top_k_probs=10)
    runs = []
    for _ in range(2):
        calls.clear()
        result = list(backend.generate(request, lambda: False))[-1]
        seen = {s.id for s in result.steps} | {a.id for s in result.steps for a in s.top}
        runs.append({"calls": list(calls), "seen": sorted(seen),
                     "pieces": [[a.piece.hex() for a in s.top] for s in result.steps]})
    backend.close()
    print(json.dumps(runs))
""")


def test_token_pieces_are_read_from_llama_cpp_once_per_token(default_model):
    done = subprocess.run([sys.executable, "-c", SCRIPT, default_model], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = json.loads(done.stdout.splitlines()[-1])
    assert len(first["calls"]) == len(set(first["calls"])), "a token's bytes were read twice"
    assert set(first["calls"]) <= set(first["seen"])
    assert second["calls"] == []  # all cached by the first generation
    assert second["pieces"] == first["pieces"]  # and the same bytes
