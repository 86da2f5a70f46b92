"""The generation loop starts the next decode before it summarises the current position (so on a
GPU the summary runs while the device works): the steps are exactly those of a loop that
summarises first (the lockstep comparison's, checked in test_compare_lockstep.py), and a decode
that fails still sends the step of the token it was decoding before the error.

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
    from engine.errors import RequestError
    from engine.llama_backend import LlamaBackend, LogSink
    from engine.types import GenerationRequest, Message, ModelConfig, SamplingSettings

    backend = LlamaBackend(ModelConfig(sys.argv[1], n_ctx=512, n_threads=1), LogSink(lambda _: None))
    request = GenerationRequest((Message("user", "Name a colour."),), sampling=SamplingSettings(temperature=0.0),
                                max_tokens=6)

    def numbers(steps):
        return [[s.id, s.logprob, s.entropy, [[t.id, t.logprob] for t in s.top]] for s in steps]

    whole = [s for s in backend.generate(request, lambda: False) if hasattr(s, "logprob")]
    decode, calls = backend._decode, []

    def failing(seq, chunk, logits_all):
        calls.append(chunk)
        if len(calls) == 3:  # the decode of the third answer token
            raise RequestError("llama_decode failed (code 1)")
        return decode(seq, chunk, logits_all)

    backend._decode = failing
    got, error = [], None
    try:
        for item in backend.generate(request, lambda: False):
            got.append(item)
    except RequestError as exc:
        error = str(exc)
    print(json.dumps({"whole": numbers(whole), "partial": numbers(got), "error": error}))
""")


def test_a_failed_decode_still_sends_the_step_it_was_decoding(default_model):
    done = subprocess.run([sys.executable, "-c", SCRIPT, default_model], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.splitlines()[-1])
    assert len(data["whole"]) == 6
    assert data["error"] == "llama_decode failed (code 1)"
    # The prompt's decode is not the loop's: the third loop decode is that of the third token.
    assert data["partial"] == data["whole"][:3]
