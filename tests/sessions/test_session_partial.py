"""A generation that failed mid-stream is journaled with its partial answer, marked failed; journals
written before such turns existed open unchanged."""

from __future__ import annotations

import random
from pathlib import Path

from engine.types import AdapterSpec, ModelInfo
from sessions import Session, record_generation, synthetic
from sessions.partial import FAILED, error_note, failed, failed_generation

V1 = Path(__file__).parent / "data" / "v1-branch.jsonl"
MODEL = ModelInfo("/models/m.gguf", "cd" * 32, "m", "llama", 100, 2048, 8192, True, 1000)


def test_a_failed_generation_round_trips_marked_with_its_error(tmp_path):
    from engine.errors import WorkerDiedError

    request, complete = synthetic.generation(random.Random(2), 6, 4)
    steps = complete.steps[:3]
    adapters = (AdapterSpec("/a/x.gguf", 0.5),)
    result = failed_generation(request, steps, MODEL, adapters)
    assert result.finish_reason == FAILED == "error"
    assert result.text == "".join(s.text for s in steps)
    p = result.provenance
    assert (p.model_path, p.model_sha256, p.n_ctx, p.adapters) == (MODEL.path, MODEL.sha256, 2048, adapters)
    assert (p.system, p.sampling) == (request.system, request.sampling)
    assert p.rendered_prompt == "" and p.prompt_token_ids == ()  # the engine never said

    error = WorkerDiedError("The llama.cpp worker was killed by SIGKILL.", details="tail")
    session = Session.create(tmp_path / "s.jsonl", "partial")
    record_generation(session, request, result, note=error_note(error))
    record_generation(session, request, complete)
    partial, whole = Session.open(session.path).turns
    assert failed(partial) and not failed(whole)
    assert partial.note == "The llama.cpp worker was killed by SIGKILL."
    assert partial.steps == steps and partial.result == result


def test_error_note_names_a_plain_exception():
    assert error_note(ValueError("bad")) == "ValueError: bad"


def test_an_old_journal_opens_with_no_failed_turn():
    session = Session.open(V1)
    assert session.problems == [] and not any(failed(turn) for turn in session.turns)
