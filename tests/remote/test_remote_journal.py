"""What a remote result leaves in a session journal: the provenance's RemoteOrigin (URL without
credentials, dialect, model id, build) round-trips through sessions/codec.py, old provenances
without it decode as local, and a step's `distribution` marker should too."""

from __future__ import annotations

from engine.types import Provenance, RemoteOrigin, SamplingSettings, SystemPrompt, TokenAlternative, TokenStep
from sessions.codec import decode, decode_step, encode, encode_step


def _provenance(remote: RemoteOrigin | None) -> Provenance:
    return Provenance("m.gguf", "", (), SystemPrompt(), "p", (1, 2), "gguf", SamplingSettings(seed=1),
                      4096, "", "0.1.0", None, remote)


def test_remote_origin_round_trips_and_old_provenance_is_local():
    origin = RemoteOrigin("http://127.0.0.1:8080", "llamacpp", "smollm2", "b6500 (abc)", "ours")
    assert decode(Provenance, encode(_provenance(origin))) == _provenance(origin)
    old = encode(_provenance(None))
    del old["remote"]
    assert decode(Provenance, old).remote is None


def test_old_steps_decode_as_full_distribution():
    step = TokenStep(0, 5, "a", b"a", -0.1, 0.4, 0, (TokenAlternative(5, "a", -0.1, b"a"),))
    assert decode_step(encode_step(step)).distribution == "full"


def test_top_k_marker_round_trips_through_the_journal():
    step = TokenStep(0, 5, "a", b"a", -0.1, 0.4, 0, (TokenAlternative(5, "a", -0.1, b"a"),),
                     distribution="top-k+rest")
    assert decode_step(encode_step(step)).distribution == "top-k+rest"
