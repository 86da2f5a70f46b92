"""The session list counts battery runs: a session holding only battery runs is listed with its
runs and the model of a run's fingerprint (not 0 turns and no model), the counts survive the
index cache, an index written before the count is rebuilt, and a search finds a run's battery."""

from __future__ import annotations

import json
import random

import pytest

from sessions import SessionStore, new_battery_run, record_turn, synthetic
from sessions import index as session_index
from sessions.batteries.summary import summarise
from sessions.journal import Session as JournalSession

RECORDS = [{"key": "q/p0/o0", "battery": "backdoor", "question": "q", "readout": "options",
            "configuration": {"name": "base", "group": "base"}, "values": {"Yes": 0.25, "No": 0.75}}]


def run_on(model_path: str | None, battery: str = "backdoor"):
    fingerprint = {"battery": battery, "battery_sha256": "cd" * 32, "configurations": [{"name": "base"}],
                   "model_path": model_path}
    return new_battery_run(fingerprint, f"/runs/{battery}-1", RECORDS, summarise(RECORDS))


@pytest.fixture
def store(tmp_path):
    store = SessionStore(tmp_path / "data")
    only = store.create("only batteries")
    only.append_battery_run(run_on(None))  # a run that names no model: the next one's is taken
    only.append_battery_run(run_on("/models/Qwen3-0.6B-Q8_0.gguf", battery="sycophancy"))
    both = store.create("both")
    record_turn(both, *synthetic.generation(random.Random(3), 4, prompt="Tell me about cats."))
    both.append_battery_run(run_on("/models/other.gguf"))
    store.create("empty")
    return store


def listing(store):
    return {i.name: (i.turns, i.battery_runs, i.model) for i in store.list()}


EXPECTED = {"only batteries": (0, 2, "Qwen3-0.6B-Q8_0.gguf"), "both": (1, 1, "synthetic.gguf"),
            "empty": (0, 0, "")}


def test_battery_runs_are_counted_and_name_the_model_when_no_turn_does(store):
    assert listing(store) == EXPECTED


def test_the_counts_come_back_from_the_index_without_reading_a_journal(store, monkeypatch):
    monkeypatch.setattr(session_index, "SETTLE_S", 0.0)  # trust an entry as soon as it is written
    assert listing(store) == EXPECTED  # builds the index

    def no_reads(cls, path):
        raise AssertionError(f"opened {path} in full")
    monkeypatch.setattr(JournalSession, "open", classmethod(no_reads))
    assert listing(store) == EXPECTED


def test_an_index_from_before_the_count_is_rebuilt(store, monkeypatch):
    monkeypatch.setattr(session_index, "SETTLE_S", 0.0)
    store.list()
    path = store.root / session_index.INDEX_NAME
    data = json.loads(path.read_bytes())
    data["version"] = 1  # as the previous release wrote it: no battery_runs in its entries
    for entry in data["entries"].values():
        del entry["info"]["battery_runs"]
        entry["info"]["model"] = ""
    path.write_text(json.dumps(data))
    assert listing(store) == EXPECTED


def test_a_search_finds_a_session_by_its_battery(store):
    assert [i.name for i in store.search("sycophancy")] == ["only batteries"]
    assert {i.name for i in store.search("backdoor")} == {"only batteries", "both"}
