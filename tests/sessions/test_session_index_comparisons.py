"""The session list counts comparisons: a session holding only comparisons is listed with them and
the model of a lane's provenance, the count survives the index cache, an index written before the
count is rebuilt, and a search finds a compared prompt and a configuration's name."""

from __future__ import annotations

import json
import random

import pytest

from sessions import SessionStore, new_comparison, record_turn, synthetic
from sessions import index as session_index
from sessions.journal import Session as JournalSession
from sessions.synthetic_comparison import comparison


@pytest.fixture
def store(tmp_path):
    store = SessionStore(tmp_path / "data")
    only = store.create("only comparisons")
    only.append_comparison(new_comparison(*comparison(random.Random(1), 2, 4)))
    only.append_comparison(new_comparison(*comparison(random.Random(2), 3, 4)))
    both = store.create("both")
    record_turn(both, *synthetic.generation(random.Random(3), 4, prompt="Tell me about cats."))
    both.append_comparison(new_comparison(*comparison(random.Random(4), 2, 3)))
    store.create("empty")
    return store


def listing(store):
    return {i.name: (i.turns, i.comparisons, i.model) for i in store.list()}


EXPECTED = {"only comparisons": (0, 2, "synthetic.gguf"), "both": (1, 1, "synthetic.gguf"), "empty": (0, 0, "")}


def test_comparisons_are_counted_and_name_the_model_when_no_turn_does(store):
    assert listing(store) == EXPECTED


def test_the_counts_come_back_from_the_index_without_reading_a_journal(store, monkeypatch):
    monkeypatch.setattr(session_index, "SETTLE_S", 0.0)
    assert listing(store) == EXPECTED

    def no_reads(cls, path):
        raise AssertionError(f"opened {path} in full")
    monkeypatch.setattr(JournalSession, "open", classmethod(no_reads))
    assert listing(store) == EXPECTED


def test_an_index_from_before_the_count_is_rebuilt(store, monkeypatch):
    monkeypatch.setattr(session_index, "SETTLE_S", 0.0)
    store.list()
    path = store.root / session_index.INDEX_NAME
    data = json.loads(path.read_bytes())
    data["version"] = 2  # as the previous release wrote it: no comparisons in its entries
    for entry in data["entries"].values():
        del entry["info"]["comparisons"]
    path.write_text(json.dumps(data))
    assert listing(store) == EXPECTED


def test_a_search_finds_a_compared_prompt_and_a_configuration(store):
    assert {i.name for i in store.search("rainbow")} == {"only comparisons", "both"}
    assert {i.name for i in store.search("pirate")} == {"only comparisons", "both"}
