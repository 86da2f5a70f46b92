"""Forced scoring (score, choose) on an OpenAI-compatible server: llama-cpp-python's own server,
started on 127.0.0.1 with the default model and flash attention on (the local default), and the
chat template of a local copy of the model (`template_model`). The echoed completions' logprobs
give the local engine's numbers; what cannot be scored exactly is refused with a clear message."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine.local import LocalBackend
from engine.remote import RemoteBackend
from engine.remote.errors import UnsupportedError
from engine.remote.openai_scoring import forced_positions
from engine.types import ChoiceMode, ChoiceRequest, Message, ModelConfig, ScoreRequest

# Measured: 2.6e-7 per forced token (score), 3e-7 on a choice's sum: the same llama.cpp, flash
# attention on both sides. The margin is for float printing through JSON.
TOLERANCE = 1e-3
QUESTION = (Message("user", "Name three colours of the rainbow."),)
SCORE = ScoreRequest(QUESTION, continuation="Red, orange and yellow.", top_k_probs=5)


@pytest.fixture(scope="module")
def local(default_model):
    with LocalBackend(ModelConfig(default_model, n_ctx=4096, kv_sequences=1)) as backend:
        yield backend


@pytest.fixture
def remote(openai_server, default_model):
    with RemoteBackend(f"openai+{openai_server}", template_model=default_model) as backend:
        yield backend


def test_score_gives_the_local_engines_numbers(local, remote):
    a, b = local.score(SCORE), remote.score(SCORE)
    assert remote.capabilities.forced_scoring
    assert [s.id for s in b.steps] == [s.id for s in a.steps]
    assert [s.text for s in b.steps] == [s.text for s in a.steps]
    gap = max(abs(x.logprob - y.logprob) for x, y in zip(a.steps, b.steps, strict=True))
    print(f"score: max |local - llama-cpp-python server| forced-token logprob: {gap:.2e}")
    assert gap < TOLERANCE
    assert b.total_logprob == pytest.approx(a.total_logprob, abs=TOLERANCE)
    assert [s.rank for s in b.steps] == [s.rank for s in a.steps]
    assert all(s.forced and s.distribution == "top-k+rest" and len(s.top) == 5 for s in b.steps)
    assert [[t.text for t in s.top] for s in b.steps] == [[t.text for t in s.top] for s in a.steps]
    # Over the top-20 + rest, entropy is a lower bound of the full-vocabulary entropy.
    assert all(y.entropy <= x.entropy + TOLERANCE for x, y in zip(a.steps, b.steps, strict=True))
    assert b.provenance.prompt_token_ids == a.provenance.prompt_token_ids
    assert b.provenance.rendered_prompt == a.provenance.rendered_prompt
    origin = b.provenance.remote
    assert origin is not None and origin.dialect == "openai" and origin.rendering == "ours"


@pytest.mark.parametrize("mode", [ChoiceMode.COMPLETE, ChoiceMode.PREFIX])
def test_choose_gives_the_local_engines_numbers(local, remote, mode):
    request = ChoiceRequest(QUESTION, options=("Red", "Blue", "Purple"), mode=mode)
    la, lb = local.choose(request), remote.choose(request)
    for x, y in zip(la.options, lb.options, strict=True):
        assert y.token_ids == x.token_ids and y.end_token_ids == x.end_token_ids
        assert y.token_texts == x.token_texts and y.end_token_texts == x.end_token_texts
        assert y.logprob == pytest.approx(x.logprob, abs=TOLERANCE)
        assert y.prob == pytest.approx(x.prob, abs=TOLERANCE)
        print(f"choose {mode.value} {x.text!r}: local {x.logprob:.6f}, remote {y.logprob:.6f}")
    assert lb.mass == pytest.approx(la.mass, rel=1e-2)
    assert lb.provenance.remote is not None and lb.provenance.remote.rendering == "ours"


def test_without_the_template_forced_scoring_is_refused(openai_server):
    with RemoteBackend(f"openai+{openai_server}") as remote:
        remote.start()
        assert not remote.capabilities.forced_scoring
        with pytest.raises(UnsupportedError, match="choose and score need the chat template, so they need "
                                                   "--model PATH"):
            remote.score(SCORE)


def test_what_cannot_be_lined_up_exactly_is_refused(remote):
    # The continuation merges with the prompt's last token ("Hi" + "gh" is "High").
    with pytest.raises(UnsupportedError, match="merge at the boundary"):
        remote.score(ScoreRequest((), continuation="gh", raw_prompt="<|im_start|>user\nHi"))
    # Without a leading BOS llama-cpp-python's echoed logprobs are one position off (measured).
    with pytest.raises(UnsupportedError, match="one position off"):
        remote.score(ScoreRequest((), continuation=" world", raw_prompt="Hello"))


class _NoCompletions(BaseHTTPRequestHandler):
    """An OpenAI-compatible server with models and a tokenizer but no /v1/completions."""

    def do_GET(self) -> None:
        self._reply(200, {"data": [{"id": "m"}]} if self.path == "/v1/models" else {"detail": "Not Found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/extras/tokenize":
            text = body["input"]
            head = [1] if text.startswith("<|im_start|>") else []
            self._reply(200, {"tokens": head + [ord(c) for c in text[len("<|im_start|>") if head else 0:]]})
        else:
            self._reply(404, {"detail": "Not Found"})

    def _reply(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_a_server_without_the_completions_endpoint_is_refused(default_model):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoCompletions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"openai+http://127.0.0.1:{server.server_address[1]}"
        with RemoteBackend(url, template_model=default_model) as remote:
            with pytest.raises(UnsupportedError, match="has no /v1/completions endpoint"):
                remote.choose(ChoiceRequest(QUESTION, options=("Yes", "No"), mode=ChoiceMode.PREFIX))
    finally:
        server.shutdown()
        server.server_close()


def test_vllm_prompt_logprobs_are_preferred_and_keep_token_ids():
    sent = [1, 10, 11, 12]
    choice = {
        "prompt_logprobs": [None, {"10": {"logprob": -1.0, "rank": 1, "decoded_token": "a"}},
                            {"11": {"logprob": -3.0, "rank": 2, "decoded_token": "b"},
                             "7": {"logprob": -0.5, "rank": 1, "decoded_token": "x"}},
                            {"12": {"logprob": -0.2, "rank": 1, "decoded_token": "c"}}],
        "logprobs": {"token_logprobs": [None, -9.0, -9.0, -9.0, -9.0], "top_logprobs": [None, {}, {}, {}, {}]},
    }
    (lp1, alts1), (lp2, _) = forced_positions(choice, sent, 2, 2, bos=1, generated=1)
    assert (lp1, lp2) == (-3.0, -0.2)
    assert {a.id: a.logprob for a in alts1} == {11: -3.0, 7: -0.5}


def test_legacy_logprobs_are_counted_from_the_end():
    # llama-cpp-python leaves BOS (id 1) out wherever it is: 5 prompt tokens, 2 of them BOS,
    # then 1 generated token: 4 entries, the scored tokens (ids 20, 21) before the generated one.
    sent = [1, 5, 1, 20, 21]
    choice = {"logprobs": {"token_logprobs": [None, -0.1, -0.2, -0.3],
                           "top_logprobs": [None, {"p": -0.1}, {"q": -0.2, "z": -0.05}, {"g": -0.3}]}}
    positions = forced_positions(choice, sent, 3, 2, bos=1, generated=1)
    assert [lp for lp, _ in positions] == [-0.1, -0.2]
    assert [a.text for a in positions[1][1]] == ["q", "z"]
    with pytest.raises(UnsupportedError, match="cannot be lined up"):
        forced_positions(choice, sent + [7], 3, 2, bos=1, generated=1)


def test_score_from_the_command_line_takes_the_template_from_model(openai_server, default_model, capsys):
    """`score --engine openai+URL --model PATH`: the local file's template renders the prompt; without
    --model the command refuses and says what it needs."""
    from tui.cli.main import main

    argv = ["score", "--engine", f"openai+{openai_server}", "--prompt", "Name three colours of the rainbow.",
            "--continuation", "Red.", "--json"]
    assert main([*argv, "--model", default_model]) == 0
    assert "Red" in capsys.readouterr().out
    assert main(argv) == 1
    assert "--model PATH" in capsys.readouterr().err
