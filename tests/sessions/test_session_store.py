"""SessionStore: which sessions may be written or removed (only those inside the store)."""

from __future__ import annotations

import os
import random

import pytest

from sessions import (
    NotASessionError,
    NotInStoreError,
    Session,
    SessionNotFoundError,
    SessionStore,
    record_to,
    record_turn,
    synthetic,
)


@pytest.fixture
def store(tmp_path):
    store = SessionStore(tmp_path / "data")
    rng = random.Random(5)
    cats = store.create("cats")
    record_turn(cats, *synthetic.generation(rng, 4, prompt="Tell me about cats."))
    dogs = store.create("dogs")
    record_turn(dogs, *synthetic.generation(rng, 4, prompt="And dogs?"))
    record_turn(dogs, *synthetic.choice(rng))
    return store


# ----- writing and removing only inside the store -------------------------------------------------

def test_open_or_create_refuses_a_session_outside_the_store(store, tmp_path):
    """Regression: `--session /elsewhere/x.jsonl` appended to a file outside the store."""
    outside = tmp_path / "outside.jsonl"
    outside.write_bytes((store.root / "cats.jsonl").read_bytes())
    before = outside.read_bytes()
    with pytest.raises(NotInStoreError, match="not a session in the store"):
        store.open_or_create(str(outside))
    request, result = synthetic.generation(random.Random(1), 3)
    with pytest.raises(NotInStoreError):
        record_to(str(outside), request, result, data_dir=store.root.parent)
    assert outside.read_bytes() == before


def test_ids_cannot_escape_the_store(store, tmp_path):
    escaped = tmp_path / "data" / "escaped.jsonl"
    escaped.write_bytes((store.root / "cats.jsonl").read_bytes())
    before = escaped.read_bytes()
    with pytest.raises(SessionNotFoundError):
        store.delete("../escaped")
    created = store.open_or_create("../escaped")  # a new session of that name, in the store
    assert created.path.parent == store.root and escaped.read_bytes() == before


def test_delete_refuses_a_non_session_and_a_link(store, tmp_path):
    junk = store.root / "junk.jsonl"
    junk.write_text("not json\n")
    with pytest.raises(NotASessionError, match="left untouched"):
        store.delete("junk")
    target = tmp_path / "target.jsonl"
    target.write_bytes((store.root / "cats.jsonl").read_bytes())
    (store.root / "link.jsonl").symlink_to(target)
    with pytest.raises(NotInStoreError):
        store.open_or_create("link")
    assert junk.exists() and target.exists()


def test_reading_a_path_outside_the_store_still_works(store, tmp_path):
    outside = tmp_path / "shared.jsonl"
    outside.write_bytes((store.root / "dogs.jsonl").read_bytes())
    assert len(store.open(str(outside)).turns) == 2


def test_a_bare_ref_prefers_the_store_to_a_file_in_the_working_dir(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cats").write_text("an unrelated file\n")
    assert store.open("cats").id == "cats"
    assert store.open_or_create("cats").path == store.root / "cats.jsonl"
