"""A comparison an engine error ended, journaled with what it decided (sessions/comparisons.py
failed_comparison): each lane's steps so far, "error" for the lanes it cut off and "stop" for one
that had ended, provenance rebuilt as a failed turn's (a lane on another model named, its hash
unknown), and the line reads back as failed with the error as its note."""

from __future__ import annotations

import random
from dataclasses import replace

from engine.compare import CompareLane
from engine.types import Configuration, ModelInfo
from sessions import SessionStore, new_comparison
from sessions.comparisons import failed_comparison
from sessions.synthetic_comparison import comparison

MODEL = ModelInfo("/models/loaded.gguf", "ab" * 32, "loaded", "llama", 100, 2048, 8192, True, 1000)


def test_a_failed_comparison_keeps_what_was_decided_and_says_which_lanes_it_cut_off(tmp_path):
    request, steps, _ = comparison(random.Random(5), n_lanes=3, n_tokens=8)  # lane 3 stops at 6
    lanes = (*request.lanes[:2], replace(request.lanes[2], configuration=replace(
        request.lanes[2].configuration, model_path="/models/other.gguf")))
    request = replace(request, lanes=lanes)
    ended = replace(steps[5], steps=(*steps[5].steps[:2], replace(steps[5].steps[2], text="")))
    decided = (*steps[:5], ended, steps[6])  # the error came before position 7; lane 3 ended at 5
    result = failed_comparison(request, decided, MODEL)
    assert [lane.finish_reason for lane in result.lanes] == ["error", "error", "stop"]
    assert [len(lane.steps) for lane in result.lanes] == [7, 7, 6]
    assert [lane.provenance.model_path for lane in result.lanes] == [MODEL.path, MODEL.path, "/models/other.gguf"]
    assert [lane.provenance.model_sha256 for lane in result.lanes] == [MODEL.sha256, MODEL.sha256, ""]
    assert result.lanes[1].provenance.system == request.lanes[1].configuration.system
    assert result.lanes[0].provenance.sampling == request.lanes[0].sampling
    assert result.names == ("base", "pirate", "lora") and result.pairs[0].positions == 7

    store = SessionStore(tmp_path)
    session = store.create("failed")
    session.append_comparison(new_comparison(request, decided, result, note="The engine worker died."))
    [record] = store.open("failed").comparisons
    assert record.failed and not record.stopped and record.note == "The engine worker died."
    assert record.describe().endswith("; failed")
    assert store.open("failed").comparisons.describe(0).endswith("; failed")  # from the head alone


def test_a_lane_that_had_ended_on_a_token_with_text_ran_out_of_context():
    request, steps, _ = comparison(random.Random(6), n_lanes=2, n_tokens=6)  # lane 2 stops at 4
    request = replace(request, lanes=(request.lanes[0], CompareLane("same", Configuration(model_path=MODEL.path))))
    last = steps[3].steps[1]
    assert last is not None
    if not last.text:
        steps = (*steps[:3], replace(steps[3], steps=(steps[3].steps[0], replace(last, text="x"))), *steps[4:])
    result = failed_comparison(request, steps[:5], MODEL)
    assert [lane.finish_reason for lane in result.lanes] == ["error", "context"]
    assert result.lanes[1].provenance.model_sha256 == MODEL.sha256  # it names the loaded model
