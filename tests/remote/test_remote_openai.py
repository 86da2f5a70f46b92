"""RemoteBackend against llama-cpp-python's own OpenAI-compatible server (its `server` extra),
started on 127.0.0.1 with the default model: the same greedy tokens and top-k logprobs as the
local engine, the chat endpoint named in the provenance, and clear refusals for what the
OpenAI API cannot do (forced scoring, adapters)."""

from __future__ import annotations

import pytest

from engine.errors import AdapterError
from engine.local import LocalBackend
from engine.remote import RemoteBackend
from engine.remote.errors import UnsupportedError
from engine.types import (
    AdapterSpec,
    ChoiceRequest,
    Configuration,
    GenerationRequest,
    Message,
    ModelConfig,
    SamplingSettings,
)

pytest.importorskip("uvicorn", reason="llama-cpp-python's server extra (uvicorn, fastapi, sse-starlette)")
pytest.importorskip("sse_starlette", reason="llama-cpp-python's server extra")

# Measured: 0.0 (bit-identical) with flash attention on both sides; the same llama.cpp and the
# same decode pattern (docs/remote.md). The margin is for float printing through JSON.
TOLERANCE = 1e-3
QUESTION = (Message("user", "Name three colours of the rainbow."),)
GREEDY = SamplingSettings(temperature=0.0, seed=1)


def test_chat_endpoint_same_tokens_and_logprobs_as_local(openai_server, default_model):
    request = GenerationRequest(QUESTION, sampling=GREEDY, max_tokens=16, top_k_probs=5)
    with LocalBackend(ModelConfig(default_model, kv_sequences=1)) as local:
        local_steps = list(local.generate(request))
    with RemoteBackend(openai_server) as remote:  # detected: no /props, /v1/models answers
        stream = remote.generate(request)
        remote_steps = list(stream)
        assert remote.capabilities.template_rendering == "chat-endpoint"
        assert not remote.capabilities.forced_scoring
    assert [s.text for s in remote_steps] == [s.text for s in local_steps]
    gap = 0.0
    for a, b in zip(local_steps, remote_steps, strict=True):
        by_text = {alt.text: alt.logprob for alt in b.top}
        gap = max([gap, abs(a.logprob - b.logprob)] + [abs(alt.logprob - by_text[alt.text])
                                                       for alt in a.top if alt.text in by_text])
    print(f"max |local - llama-cpp-python server| logprob, 16 greedy steps: {gap:.2e}")
    assert gap < TOLERANCE
    assert all(s.distribution == "top-k+rest" and s.id == -1 for s in remote_steps)
    result = stream.result
    assert result is not None and result.finish_reason == "length"
    origin = result.provenance.remote
    assert origin is not None and origin.dialect == "openai" and origin.rendering == "chat-endpoint"
    assert result.provenance.template_source == "chat-endpoint"


def test_what_the_openai_api_cannot_do_is_refused(openai_server):
    with RemoteBackend(f"openai+{openai_server}") as remote:
        with pytest.raises(UnsupportedError, match="choose and score .* need llama.cpp's server"):
            remote.choose(ChoiceRequest(QUESTION, options=("Yes", "No")))
        with pytest.raises(AdapterError, match="adapter scales per request need llama.cpp's server"):
            list(remote.generate(GenerationRequest(QUESTION, max_tokens=2, configuration=Configuration(
                adapters=(AdapterSpec("x.gguf", 1.0),)))))
        with pytest.raises(UnsupportedError, match="compare needs a local engine or llama.cpp"):
            remote.compare(None)  # type: ignore[arg-type]


def test_engine_info_shows_the_server_and_its_capabilities(openai_server, capsys):
    import argparse
    import json

    from tui.cli import engine_commands

    parser = argparse.ArgumentParser()
    engine_commands.register(parser.add_subparsers())
    args = parser.parse_args(["engine", "info", f"http://user:pw@{openai_server[7:]}/?k=1", "--json"])
    assert args.func(args) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["url"] == openai_server and shown["dialect"] == "openai"
    assert shown["capabilities"]["template_rendering"] == "chat-endpoint"
    assert shown["capabilities"]["forced_scoring"] is False
    args = parser.parse_args(["engine", "info", openai_server])
    assert args.func(args) == 0
    assert "forced_scoring=False" in capsys.readouterr().out
