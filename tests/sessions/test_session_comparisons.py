"""Comparisons journaled in a session: a faithful round trip between turns and battery runs, the
positions parsed only when looked at, a damaged or torn comparison line rejected while every
other line loads, what an older reader does with the record, and the lanes' steps written once."""

from __future__ import annotations

import json
import math
import random

import pytest

from sessions import ComparisonRecord, Session, SessionStore, new_comparison, record_turn, synthetic
from sessions.comparisons import comparison_line
from sessions.format import parse_turn
from sessions.synthetic_comparison import comparison


def make(seed: int = 1, n_lanes: int = 3, forced_from: str = "") -> ComparisonRecord:
    return new_comparison(*comparison(random.Random(seed), n_lanes, 6, forced_from=forced_from))


@pytest.fixture
def session(tmp_path) -> Session:
    session = SessionStore(tmp_path).create("with a comparison")
    record_turn(session, *synthetic.generation(random.Random(5), 5))
    return session


def test_a_comparison_round_trips_between_turns(session):
    record = make()
    assert session.append_comparison(record) is record and session.comparisons[0] is record
    record_turn(session, *synthetic.choice(random.Random(6)))
    again = Session.open(session.path)
    assert again.problems == [] and len(again.turns) == 2 and len(again.comparisons) == 1
    back = again.comparisons[0]
    assert back == record
    assert back.request == record.request and back.steps == record.steps and back.result == record.result
    assert math.isinf(back.steps[1].pairs[0].kl_ab)  # non-finite values survive
    assert back.steps[-1].steps[-1] is None  # the lane that ended early
    assert back.names == ("base", "pirate", "lora") and not back.stopped
    assert [len(lane.steps) for lane in back.result.lanes] == [6, 6, 4]
    assert back.lane_steps(2) == back.result.lanes[2].steps
    assert again.comparisons.entry(0).line == 3  # header, turn, comparison, turn
    assert again.comparisons.describe(0) == record.describe()
    assert record.describe().startswith("compare base, pirate, lora: 6 positions")
    assert back.adapters[2][0].path == "/adapters/hello.gguf" and back.adapters[2][0].sha256 == ""


def test_the_positions_are_parsed_only_when_the_comparison_is_looked_at(session):
    session.append_comparison(make())
    again = Session.open(session.path)
    assert again.comparisons.describe(0).startswith("compare base, pirate, lora")
    assert not again.comparisons._cache
    assert len(again.comparisons[0].steps) == 6


def test_a_lanes_steps_are_written_once_in_the_positions(session):
    record = make(n_lanes=2)
    line = comparison_line(record)
    head = json.loads(line)
    assert all("steps" not in lane for lane in head["result"]["lanes"])
    assert line.count(b'"piece_b64"') == sum(s is not None for p in record.steps for s in p.steps) == 6 + 4
    assert head["names"] == ["base", "pirate"] and head["n_positions"] == 6 and head["type"] == "comparison"


def test_a_teacher_forced_and_a_stopped_comparison_say_so(session):
    forced = make(forced_from="pirate")
    assert "forced on pirate's answer" in forced.describe()
    request, steps, result = comparison(random.Random(3), 2, 5)
    lanes = tuple(lane.__class__(**{**lane.__dict__, "finish_reason": "cancelled"}) for lane in result.lanes)
    stopped = new_comparison(request, steps[:2], result.__class__(**{**result.__dict__, "lanes": lanes}))
    assert [len(lane.steps) for lane in stopped.result.lanes] == [2, 2]  # from the positions kept
    session.append_comparison(forced)
    session.append_comparison(stopped)
    again = Session.open(session.path)
    assert again.comparisons.describe(0) == forced.describe()
    assert again.comparisons.describe(1).endswith("; stopped") and again.comparisons[1].stopped
    assert again.comparisons[1] == stopped


@pytest.mark.parametrize("where", ["steps", "head"])
def test_a_damaged_comparison_line_is_rejected_and_nothing_else_is_lost(session, where):
    session.append_comparison(make())
    record_turn(session, *synthetic.score(random.Random(7)))
    lines = session.path.read_bytes().split(b"\n")
    line = lines[2]
    at = line.index(b'"piece_b64"') if where == "steps" else line.index(b"rainbow")
    lines[2] = line[:at + 1] + b"X" + line[at + 2:]
    session.path.write_bytes(b"\n".join(lines))
    again = Session.open(session.path)
    assert [str(p) for p in again.problems] == ["line 3: damaged record skipped: checksum mismatch (damaged record)"]
    assert len(again.turns) == 2 and len(again.comparisons) == 0


def test_a_torn_comparison_line_is_reported_and_the_next_append_replaces_it(session):
    session.append_comparison(make())
    session.path.write_bytes(session.path.read_bytes()[:-100])
    again = Session.open(session.path)
    assert again.problems[0].torn and len(again.turns) == 1 and not len(again.comparisons)
    again.append_comparison(make(2))
    last = Session.open(session.path)
    assert last.problems == [] and len(last.comparisons) == 1


def test_an_older_reader_sees_an_unknown_record_type(session):
    line = comparison_line(make())
    with pytest.raises(ValueError, match="unknown record type 'comparison'"):
        parse_turn(line, 3, 0, len(line) - 1)  # what a reader without comparisons does with it
