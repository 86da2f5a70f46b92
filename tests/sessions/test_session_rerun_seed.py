"""Re-run of turns whose recorded seed llama.cpp does not use as given (old journals recorded
`--seed -1`, which llama.cpp read as "pick a random one"): re-run draws a new seed and says so,
instead of aborting on the engine's refusal."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_session_rerun_tiny import ASK, generate, use

from engine.seeds import MAX_SEED
from engine.types import GenerationRequest, SamplingSettings
from sessions import Session, record_turn
from sessions.rerun import RunConfig, rerun

SAMPLED = SamplingSettings(temperature=1.5, top_k=0, top_p=1.0, min_p=0.0)


def old_turn(backend, session: Session, seed: int, note: str = "") -> None:
    """A sampled turn journaled as the old CLI journaled `--seed SEED`: the request and the
    provenance both name SEED (llama.cpp drew its own for -1, or used SEED modulo 2**32)."""
    request = GenerationRequest(ASK, sampling=SAMPLED, max_tokens=6)
    result = generate(backend, request)
    recorded = replace(SAMPLED, seed=seed)
    record_turn(session, replace(request, sampling=recorded),
                replace(result, provenance=replace(result.provenance, sampling=recorded)),
                note=note)


@pytest.mark.parametrize("bad", [-1, MAX_SEED + 1, 2**32 + 7])
def test_a_turn_recorded_with_an_unusable_seed_reruns_with_a_new_one(tiny_backend, tiny_models,
                                                                     tmp_path, bad):
    use(tiny_backend, tiny_models["a"])
    source = Session.create(tmp_path / "old.jsonl", "old")
    old_turn(tiny_backend, source, bad)
    old_turn(tiny_backend, source, bad, note="mine")
    old = Session.open(source.path)
    assert [t.provenance.sampling.seed for t in old.turns] == [bad, bad]
    assert [t.request.sampling.seed for t in old.turns] == [bad, bad]

    target = Session.create(tmp_path / "again.jsonl", "again")
    first, second = rerun(old, target, tiny_backend, RunConfig(model_path=tiny_models["a"]))
    for again in (first, second):
        seed = again.provenance.sampling.seed
        assert seed is not None and 0 <= seed <= MAX_SEED  # drawn by the engine and recorded
        assert again.request.sampling.seed is None
        assert str(bad) in again.note and f"new seed {seed}" in again.note
    assert second.note.startswith("mine")
    assert Session.open(target.path).turns[0].note == first.note


def test_a_usable_recorded_seed_is_still_forced_and_adds_no_note(tiny_backend, tiny_models,
                                                                tmp_path):
    use(tiny_backend, tiny_models["a"])
    source = Session.create(tmp_path / "old.jsonl", "old")
    request = GenerationRequest(ASK, sampling=SAMPLED, max_tokens=6)
    original = record_turn(source, request, generate(tiny_backend, request))
    target = Session.create(tmp_path / "again.jsonl", "again")
    (again,) = rerun(Session.open(source.path), target, tiny_backend,
                     RunConfig(model_path=tiny_models["a"]))
    assert again.provenance.sampling.seed == original.provenance.sampling.seed
    assert again.note == ""
