"""The journal: faithful round trips, and reading back after crashes and damage."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace

import pytest

from engine.types import (
    AdapterSpec,
    GenerationRequest,
    Message,
    ModelConfig,
    SamplingSettings,
    SystemPrompt,
)
from sessions import (
    FORMAT_VERSION,
    NewerFormatError,
    NotASessionError,
    Session,
    SessionStore,
    record_turn,
    synthetic,
)
from sessions.codec import decode, encode


def _filled(tmp_path, n=3):
    store = SessionStore(tmp_path)
    session = store.create("journal test")
    rng = random.Random(3)
    makers = [synthetic.generation, synthetic.choice, synthetic.score]
    turns = [record_turn(session, *makers[i % 3](rng)) for i in range(n)]
    return store, session, turns


@pytest.mark.parametrize("value", [
    SystemPrompt.custom("be brief"),
    ModelConfig("/m.gguf", adapters=(AdapterSpec("/a.gguf", -0.5),), n_threads=None),
    GenerationRequest((Message("user", "hi"),), sampling=SamplingSettings(seed=None),
                      continue_from=(1, 2, 3)),
])
def test_codec_round_trips_engine_values(value):
    assert decode(type(value), json.loads(json.dumps(encode(value)))) == value


def test_codec_round_trips_results_with_bytes_and_non_finite_floats():
    rng = random.Random(0)
    request, result = synthetic.generation(rng, 60)
    odd = replace(result.steps[0], logprob=-math.inf, piece=b"\xff\x00\xe6")
    result = replace(result, steps=(odd,) + result.steps[1:])
    text = json.dumps(encode(result), allow_nan=False)
    assert decode(type(result), json.loads(text)) == result
    assert decode(type(request), json.loads(json.dumps(encode(request)))) == request


def test_session_round_trip_every_kind(tmp_path):
    store, session, turns = _filled(tmp_path, 6)
    again = store.open(session.id)
    assert list(again.turns) == turns
    assert again.problems == []
    assert again.header == session.header
    assert again.header.version == FORMAT_VERSION


def test_turn_steps_hold_provenance_and_raw_bytes(tmp_path):
    _, session, turns = _filled(tmp_path, 1)
    turn = Session.open(session.path).turns[0]
    assert turn.provenance.model_sha256 == "ab" * 32
    assert turn.provenance.sampling.seed is not None
    split = [s for s in turn.steps if s.text == "" and s.piece]
    assert split and split[0].piece == "🙂".encode()[:2]
    assert all(len(s.top) == 10 for s in turn.steps)


def test_torn_last_record_is_reported_and_skipped(tmp_path):
    store, session, turns = _filled(tmp_path, 3)
    data = session.path.read_bytes()
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    session.path.write_bytes(data[: last_start + (len(data) - last_start) // 2])  # cut mid-record
    again = store.open(session.id)
    assert list(again.turns) == turns[:2]
    assert len(again.problems) == 1 and again.problems[0].torn
    assert again.problems[0].line == 4
    # Appending after the crash drops the torn fragment and keeps everything else.
    extra = record_turn(again, *synthetic.choice(random.Random(9)))
    reopened = store.open(session.id)
    assert list(reopened.turns) == turns[:2] + [extra]
    assert reopened.problems == []


def test_record_complete_but_for_its_newline_is_kept(tmp_path):
    store, session, turns = _filled(tmp_path, 2)
    session.path.write_bytes(session.path.read_bytes().rstrip(b"\n"))
    again = store.open(session.id)
    assert list(again.turns) == turns and again.problems == []
    extra = record_turn(again, *synthetic.choice(random.Random(9)))
    assert list(store.open(session.id).turns) == turns + [extra]


@pytest.mark.parametrize("damage", ["garbage", "flip_in_steps", "flip_in_head"])
def test_corrupt_middle_line_is_reported_with_its_number(tmp_path, damage):
    store, session, turns = _filled(tmp_path, 3)
    lines = session.path.read_bytes().split(b"\n")
    middle = bytearray(lines[2])  # line 3 of the file: the second turn
    if damage == "garbage":
        middle = bytearray(b"\x00\x01 not json")
    elif damage == "flip_in_steps":
        at = middle.rfind(b'"logprob":') + 11
        middle[at] = ord("7") if middle[at] != ord("7") else ord("8")
    else:
        at = middle.find(b'"Tell me') + 3
        middle[at] = ord("X")
        middle[5] = ord("{")  # also break the JSON
    lines[2] = bytes(middle)
    session.path.write_bytes(b"\n".join(lines))
    again = store.open(session.id)
    assert [t.id for t in again.turns] == [turns[0].id, turns[2].id]
    assert len(again.problems) == 1
    assert again.problems[0].line == 3 and not again.problems[0].torn


def test_newer_format_is_refused_clearly(tmp_path):
    _, session, _ = _filled(tmp_path, 1)
    lines = session.path.read_bytes().split(b"\n", 1)
    header = json.loads(lines[0])
    header["version"] = FORMAT_VERSION + 1
    session.path.write_bytes(json.dumps(header).encode() + b"\n" + lines[1])
    with pytest.raises(NewerFormatError, match=f"version {FORMAT_VERSION + 1}.*Upgrade"):
        Session.open(session.path)


@pytest.mark.parametrize("content", [b"", b"hello world\n", b'{"type": "header"}\n',
                                     b"\x89PNG\r\n\x1a\n\x00\x00", b'[1, 2, 3]\n'])
def test_not_a_session_is_refused_clearly(tmp_path, content):
    path = tmp_path / "x.jsonl"
    path.write_bytes(content)
    with pytest.raises(NotASessionError, match="not a logitscope session"):
        Session.open(path)


def test_store_list_search_resolve_delete(tmp_path):
    store, session, _ = _filled(tmp_path, 2)
    other = store.create("journal test")  # same name: a unique id
    assert other.id == "journal-test-2"
    (store.root / "broken.jsonl").write_text("nope\n")
    infos = {i.id: i for i in store.list()}
    assert infos["journal-test"].turns == 2 and infos["journal-test"].model == "synthetic.gguf"
    assert infos["broken"].error
    assert [i.id for i in store.search("ABOUT CATS")] == ["journal-test"]
    assert store.open(str(session.path)).id == "journal-test"
    assert store.open("journal-test-2").id == "journal-test-2"
    assert store.open_or_create("fresh one").id == "fresh-one"
    store.delete("journal-test-2")
    assert "journal-test-2" not in {i.id for i in store.list()}


def test_sessions_import_no_textual_and_no_llama_cpp():
    import subprocess
    import sys

    code = ("import sys, sessions, sessions.rerun, sessions.compare, sessions.export, sessions.html;"
            "bad = [m for m in ('textual', 'llama_cpp', 'torch') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_adapters_are_recorded_with_their_file_hash(tmp_path):
    import hashlib

    adapter = tmp_path / "pirate.gguf"
    adapter.write_bytes(b"not really a lora" * 100)
    rng = random.Random(5)
    request, result = synthetic.generation(rng, 4)
    specs = (AdapterSpec(str(adapter), 0.75), AdapterSpec(str(tmp_path / "gone.gguf"), -1.0))
    result = replace(result, provenance=replace(result.provenance, adapters=specs))
    session = SessionStore(tmp_path).create("lora")
    record_turn(session, request, result)
    turn = Session.open(session.path).turns[0]
    assert turn.adapters[0].sha256 == hashlib.sha256(adapter.read_bytes()).hexdigest()
    assert turn.adapters[0].scale == 0.75
    assert turn.adapters[1].sha256 == "" and turn.adapters[1].scale == -1.0
    assert turn.provenance.adapters == specs
