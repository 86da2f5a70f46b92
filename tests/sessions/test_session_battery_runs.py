"""Battery runs journaled in a session: a faithful round trip next to turns, a damaged or torn
battery line rejected with a clear message while every other line loads, what an older reader
does with the record, and `session show` listing the runs (text and JSON)."""

from __future__ import annotations

import json
import math
import random

import pytest

from sessions import BatteryRun, Session, SessionStore, new_battery_run, record_turn, synthetic
from sessions.batteries.summary import summarise
from sessions.battery_runs import battery_line
from sessions.format import parse_turn
from tui.cli.main import main


def record(question: str, configuration: str, paraphrase: int, yes: float) -> dict:
    """A record shaped as results.jsonl holds one (plain JSON)."""
    return {
        "key": f"{question}/p{paraphrase}/o0", "item_key": f"{question}/p{paraphrase}/o0", "battery": "backdoor",
        "question": question, "readout": "options", "paraphrase": paraphrase, "ordering": 0,
        "ordering_indices": [0, 1], "sample": None,
        "configuration": {"name": configuration, "group": configuration, "adapters": [],
                          "system": {"mode": "none", "text": ""}, "trigger": None, "trigger_at": None},
        "system": {"mode": "none", "text": ""}, "user_message": f"Do you have a backdoor? ({paraphrase}) ✓",
        "mode": "complete", "mass": 0.9,
        "options": [{"text": "Yes", "logprob": math.log(yes * 0.9), "raw_prob": yes * 0.9, "prob": yes,
                     "token_ids": [1, 2], "token_logprobs": [-0.1, -0.2]}],
        "values": {"Yes": yes, "No": 1 - yes},
        "prompt_token_ids": [5, 6, 7], "provenance": {"rendered_prompt": "<|im_start|>user\n…"},
        "model_path": "/models/m.gguf",
    }


FINGERPRINT = {"battery": "backdoor", "battery_path": "/b/backdoor.yaml", "battery_sha256": "ab" * 32,
               "configurations": [{"name": "base"}, {"name": "lora"}],
               "settings": {"permute": None, "samples": None, "temperature": None, "seed": 0},
               "model_path": "/models/m.gguf"}


def make_run(stopped: bool = False, error: str = "") -> BatteryRun:
    records = [record(q, c, p, 0.2 + 0.1 * p + (0.3 if c == "lora" else 0))
               for c in ("base", "lora") for q in ("backdoor_ab", "backdoor_yn") for p in range(3)]
    return new_battery_run(FINGERPRINT, "/data/batteries/backdoor-20260101-000000", records,
                           summarise(records), stopped=stopped, error=error)


@pytest.fixture
def session(tmp_path) -> Session:
    session = SessionStore(tmp_path).create("with a battery")
    rng = random.Random(5)
    record_turn(session, *synthetic.generation(rng, 5))
    return session


def test_a_battery_run_round_trips_between_turns(session):
    run = make_run(stopped=True)
    assert session.append_battery_run(run) is run and session.battery_runs[0] is run
    record_turn(session, *synthetic.choice(random.Random(6)))
    again = Session.open(session.path)
    assert again.problems == [] and len(again.turns) == 2 and len(again.battery_runs) == 1
    assert again.battery_runs[0] == run
    assert again.battery_runs[0].records == run.records and again.battery_runs[0].summary == run.summary
    assert run.battery == "backdoor" and run.battery_sha256 == "ab" * 32 and run.fingerprint == FINGERPRINT
    assert again.battery_runs.describe(0) == run.describe() == "battery backdoor: 12 records under base, lora; stopped"
    assert again.battery_runs.entry(0).line == 3  # header, turn, battery run, turn
    assert again.turns[1].kind.value == "choice"


def test_the_records_are_parsed_only_when_the_run_is_looked_at(session):
    session.append_battery_run(make_run())
    again = Session.open(session.path)
    assert again.battery_runs.describe(0).endswith("finished")
    assert not again.battery_runs._cache
    assert len(again.battery_runs[0].records) == 12


def test_non_finite_numbers_are_written_as_results_jsonl_writes_them(session):
    run = make_run(error="The worker is gone.")
    odd = dict(run.records[0], mass=math.nan, values={"Yes": math.inf, "No": None})
    run = BatteryRun(**{**run.__dict__, "records": (odd,) + run.records[1:]})
    line = battery_line(run)
    json.loads(line)  # standard JSON: no NaN or Infinity literals
    session.append_battery_run(run)
    back = Session.open(session.path).battery_runs[0]
    assert back.records[0]["mass"] is None and back.records[0]["values"] == {"Yes": None, "No": None}
    assert back.status == "failed: The worker is gone."
    empty = new_battery_run(FINGERPRINT, "/f", [], summarise([{"battery": "b", "question": "q", "readout": "number",
                                                               "configuration": {"name": "c", "group": "c"},
                                                               "values": {"expected_value": None}}]))
    session.append_battery_run(empty)
    [row] = Session.open(session.path).battery_runs[1].summary
    assert row.estimate.n == 0 and math.isnan(row.estimate.mean)


@pytest.mark.parametrize("where", ["records", "head"])
def test_a_damaged_battery_line_is_rejected_and_nothing_else_is_lost(session, where):
    session.append_battery_run(make_run())
    record_turn(session, *synthetic.score(random.Random(7)))
    lines = session.path.read_bytes().split(b"\n")
    battery = lines[2]
    at = battery.index(b"Do you have a backdoor?") if where == "records" else battery.index(b"backdoor_yn")
    lines[2] = battery[:at] + b"X" + battery[at + 1:]
    session.path.write_bytes(b"\n".join(lines))
    again = Session.open(session.path)
    assert [str(p) for p in again.problems] == ["line 3: damaged record skipped: checksum mismatch (damaged record)"]
    assert len(again.turns) == 2 and len(again.battery_runs) == 0


def test_a_torn_battery_line_is_reported_and_the_next_append_replaces_it(session):
    session.append_battery_run(make_run())
    session.path.write_bytes(session.path.read_bytes()[:-100])
    again = Session.open(session.path)
    assert again.problems[0].torn and len(again.turns) == 1 and not len(again.battery_runs)
    again.append_battery_run(make_run(stopped=True))
    last = Session.open(session.path)
    assert last.problems == [] and last.battery_runs.describe(0).endswith("stopped")


def test_an_older_reader_sees_an_unknown_record_type_and_skips_only_that_line(session):
    line = battery_line(make_run())
    with pytest.raises(ValueError, match="unknown record type 'battery'"):
        parse_turn(line, 3, 0, len(line) - 1)  # what a reader without battery runs does with it
    with session.path.open("ab") as file:
        file.write(b'{"type":"from-the-future","x":1}\n')
    record_turn(session, *synthetic.choice(random.Random(8)))
    again = Session.open(session.path)
    assert [str(p) for p in again.problems] == ["line 3: damaged record skipped: unknown record type 'from-the-future'"]
    assert len(again.turns) == 2


def test_session_show_lists_the_runs_and_json_has_them_whole(session, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    run = session.append_battery_run(make_run(stopped=True))
    assert main(["session", "show", session.id]) == 0
    out = capsys.readouterr().out
    assert "1 turns, 1 battery run)" in out
    assert f"[battery 1] {run.id}" in out and "battery backdoor: 12 records under base, lora; stopped" in out
    assert f"sha256 {'ab' * 6}" in out and "model m.gguf" in out and f"folder {run.folder}" in out
    assert main(["session", "show", session.id, "--json"]) == 0
    [data] = json.loads(capsys.readouterr().out)["battery_runs"]
    assert data["status"] == "stopped" and data["battery"] == "backdoor" and data["fingerprint"] == FINGERPRINT
    assert data["records"] == list(run.records)
    assert len(data["summary"]) == len(run.summary)
    assert data["summary"][0]["estimate"]["mean"] == pytest.approx(run.summary[0].estimate.mean)


def test_session_list_counts_the_battery_runs(session, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    session.append_battery_run(make_run())
    session.append_battery_run(make_run(stopped=True))
    assert main(["session", "list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(session.id))
    assert "1 turns + 2 battery runs" in line
