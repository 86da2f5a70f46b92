"""RemoteBackend without a real engine: the --engine URL, top-k steps, adapter ids, and the
errors for a port with nothing on it, an HTTP server that is not llama.cpp's, and a 401."""

from __future__ import annotations

import http.server
import json
import math
import threading
from collections.abc import Iterator

import pytest

from engine.errors import AdapterError, RequestError
from engine.remote import RemoteBackend, parse_engine_url, safe_url
from engine.remote.errors import AuthError, UnreachableError, WrongApiError
from engine.remote.lora import lora_field
from engine.remote.topk import entropy_with_rest, remote_step
from engine.types import AdapterSpec, TokenAlternative


def test_engine_url_dialects_and_credentials():
    url = parse_engine_url("llamacpp+http://bob:s3cret@127.0.0.1:8080/?token=abc")
    assert (url.base, url.dialect, url.url_key) == ("http://127.0.0.1:8080", "llamacpp", "s3cret")
    assert "s3cret" not in url.safe and "abc" not in url.safe
    assert parse_engine_url("openai+https://host/v1").dialect == "openai"
    assert parse_engine_url("http://host:1").dialect is None
    with pytest.raises(RequestError, match="dialect"):
        parse_engine_url("vllm+http://host")
    with pytest.raises(RequestError, match="URL"):
        parse_engine_url("127.0.0.1:8080")
    assert safe_url("http://u:p@h:1/x?key=k#f") == "http://h:1/x"


def test_top_k_step_entropy_rank_and_rest_bucket():
    top = [TokenAlternative(1, "a", math.log(0.5)), TokenAlternative(2, "b", math.log(0.3))]
    step = remote_step(0, 2, "b", b"b", math.log(0.3), top, k=1, full=False)
    assert step.distribution == "top-k+rest" and step.rank == 1 and len(step.top) == 1
    expected = -(0.5 * math.log(0.5) + 0.3 * math.log(0.3) + 0.2 * math.log(0.2))
    assert step.entropy == pytest.approx(expected)
    outside = remote_step(0, 9, "z", b"z", math.log(0.01), top, k=2, full=False)
    assert outside.rank == 2  # at least the two reported tokens were more likely
    full = [TokenAlternative(1, "a", math.log(0.75)), TokenAlternative(2, "b", math.log(0.25))]
    exact = remote_step(0, 1, "a", b"a", math.log(0.75), full, k=2, full=True)
    assert exact.distribution == "full" and exact.rank == 0
    assert exact.entropy == pytest.approx(entropy_with_rest([math.log(0.75), math.log(0.25)], True))


def test_lora_field_by_path_or_name_others_at_zero():
    loaded = ((0, "/srv/a.gguf"), (1, "/srv/b.gguf"))
    assert lora_field((AdapterSpec("/home/me/b.gguf", 0.5),), loaded) == [
        {"id": 0, "scale": 0.0}, {"id": 1, "scale": 0.5}]
    assert lora_field((), loaded) == [{"id": 0, "scale": 0.0}, {"id": 1, "scale": 0.0}]
    with pytest.raises(AdapterError, match=r"no adapter 'c.gguf'.*0: a.gguf, 1: b.gguf"):
        lora_field((AdapterSpec("c.gguf"),), loaded)


def test_nothing_listening_is_unreachable():
    from servers import free_port

    backend = RemoteBackend(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(UnreachableError, match="No engine answers at http://127.0.0.1"):
        backend.start()


class _Stub(http.server.BaseHTTPRequestHandler):
    status = 200
    body = b"<html>hello</html>"
    seen_auth: list[str | None] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).seen_auth.append(self.headers.get("Authorization"))
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[tuple[str, type[_Stub]]]:
    handler = type("Handler", (_Stub,), {"seen_auth": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_a_web_server_is_not_an_engine(stub):
    url, handler = stub
    with pytest.raises(WrongApiError, match="not JSON"):
        RemoteBackend(url).start()
    handler.status, handler.body = 404, json.dumps({"detail": "Not Found"}).encode()
    with pytest.raises(WrongApiError, match="neither llama.cpp's /props nor /v1/models"):
        RemoteBackend(url).start()
    with pytest.raises(WrongApiError, match="no /props: not llama.cpp's server"):
        RemoteBackend(f"llamacpp+{url}").start()


def test_401_says_the_key_is_wrong_and_never_shows_it(stub):
    url, handler = stub
    handler.status, handler.body = 401, json.dumps({"error": {"message": "Invalid API Key"}}).encode()
    with pytest.raises(AuthError) as caught:
        RemoteBackend(url, api_key="hunter2-secret").start()
    assert "API key is wrong" in caught.value.msg and "hunter2" not in str(caught.value)
    assert handler.seen_auth[-1] == "Bearer hunter2-secret"


def test_the_tui_runs_on_the_engine_it_is_given(monkeypatch):
    import tui.app
    from engine.remote import RemoteBackend
    from tui.cli.main import main

    seen = []
    monkeypatch.setattr(tui.app, "run_tui", lambda backend, *args, **kwargs: seen.append(backend) or 0)
    assert main(["tui", "--engine", "http://127.0.0.1:9"]) == 0
    assert main(["--engine", "http://127.0.0.1:9"]) == 0  # the default command's options too
    assert [type(b) for b in seen] == [RemoteBackend, RemoteBackend]


def test_ask_opens_a_remote_backend_for_engine(monkeypatch):
    import argparse

    from tui.cli import options

    parser = argparse.ArgumentParser()
    options.add_model_options(parser)
    monkeypatch.setenv("MY_KEY", "k-123")
    args = parser.parse_args(["--engine", "http://h:1", "--api-key-env", "MY_KEY", "--adapter", "a.gguf:0.5"])
    backend = options.open_backend(args, lambda config: pytest.fail("opened the local engine"))
    assert isinstance(backend, RemoteBackend) and backend.config.adapters[0].scale == 0.5
    assert backend.client._api_key == "k-123"
    local = options.open_backend(parser.parse_args([]), lambda config: ("local", config))
    assert local[0] == "local"


def test_approximate_pair_over_top_k_union_and_rest():
    from engine.remote.compare import approximate_pair

    def step(token, probs):
        top = tuple(TokenAlternative(t, str(t), math.log(p)) for t, p in probs)
        return remote_step(0, token, "", b"", math.log(dict(probs)[token]), top, k=len(top), full=False)

    a = step(1, [(1, 0.6), (2, 0.3)])
    same = approximate_pair(0, 1, a, a, n_vocab=100)
    assert same.kl_ab == pytest.approx(0, abs=1e-12) and same.js == pytest.approx(0, abs=1e-12)
    assert not same.differ
    b = step(3, [(3, 0.7), (1, 0.2)])
    pair = approximate_pair(0, 1, a, b, n_vocab=100)
    assert pair.differ and 0 < pair.js <= math.log(2) and pair.kl_ab > 0 and pair.kl_ba > 0
    assert pair.logprob_b_of_a == pytest.approx(math.log(0.2))
    # a did not report token 3: its share of a's rest (0.1 over the 98 tokens it did not report)
    assert pair.logprob_a_of_b == pytest.approx(math.log(0.1 / 98))
