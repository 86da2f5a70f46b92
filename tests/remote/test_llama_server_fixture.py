"""The session's llama-server (tests/remote/conftest.py) is what the remote tests assume it is.

Its adapter must be loaded at global scale 0: a request without a `lora` field then gets the
base model, and only `[{"id": 0, "scale": s}]` applies the adapter. `--lora-init-without-apply`
looks like it does that but does not in the pinned server (a request without the field runs at
scale 1), so this is checked against the server itself.
"""

from __future__ import annotations

import pytest
from servers import get_json, post_json

pytestmark = [pytest.mark.model, pytest.mark.remote]


def first_position(url: str, **fields) -> list[tuple[int, float]]:
    answer = post_json(f"{url}/completion", {"prompt": "The capital of France is", "n_predict": 1,
                                             "n_probs": 5, "temperature": 0, **fields})
    return [(t["id"], t["logprob"]) for t in answer["completion_probabilities"][0]["top_logprobs"]]


def test_the_adapter_is_loaded_as_id_0_at_global_scale_0(llama_server, llama_server_adapter):
    assert get_json(f"{llama_server}/health") == {"status": "ok"}
    adapters = get_json(f"{llama_server}/lora-adapters")
    assert [(a["id"], a["path"], a["scale"]) for a in adapters] == [(0, str(llama_server_adapter), 0.0)]


def test_a_request_without_lora_gets_the_base_model_and_a_scale_applies_the_adapter(llama_server):
    base = first_position(llama_server)
    assert first_position(llama_server, lora=[{"id": 0, "scale": 0.0}]) == base
    assert first_position(llama_server, lora=[]) == base
    adapted = first_position(llama_server, lora=[{"id": 0, "scale": 1.0}])
    assert max(abs(a[1] - b[1]) for a, b in zip(adapted, base, strict=True)) > 0.1
    # per request: an explicit list after another clears the slot's prompt cache (a request
    # without the field does not: the pinned server then reuses the adapted KV cache, so
    # logitscope always sends the field when the server loaded adapters)
    assert first_position(llama_server, lora=[{"id": 0, "scale": 0.0}]) == base
    assert first_position(llama_server, lora=[{"id": 0, "scale": 1.0}]) == adapted
    assert first_position(llama_server, cache_prompt=False) == base
