"""SessionStore: which sessions may be written or removed (only those inside the store), and the
listing index (a cache: files changed, added or removed behind its back are still listed
correctly, a corrupt index is rebuilt, concurrent writers never tear it)."""

from __future__ import annotations

import json
import os
import random
import threading

import pytest

from sessions import (
    NotASessionError,
    NotInStoreError,
    Session,
    SessionNotFoundError,
    SessionOrigin,
    SessionStore,
    record_to,
    record_turn,
    synthetic,
)
from sessions import index as session_index
from sessions.journal import Session as JournalSession


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


@pytest.fixture
def trusting(monkeypatch):
    """Trust an index entry as soon as it is written (normally a file must have been a moment old
    when it was read), so a test can see the index used instead of the journals."""
    monkeypatch.setattr(session_index, "SETTLE_S", 0.0)


@pytest.fixture
def no_journal_reads(monkeypatch):
    """Make any full read of a journal fail loudly; returns a switch to turn that on."""
    state = {"on": False}
    real = JournalSession.open.__func__

    def guarded(cls, path):
        if state["on"]:
            raise AssertionError(f"opened {path} in full")
        return real(cls, path)
    monkeypatch.setattr(JournalSession, "open", classmethod(guarded))
    return state


def listing(store):
    return {i.id: (i.name, i.turns, i.model, i.problems, i.error) for i in store.list()}


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
    before_ids = sorted(p.name for p in store.root.iterdir())
    for ref in ("../escaped", "../new", "..", "."):  # regression: these created `escaped`, `new`...
        with pytest.raises(NotInStoreError, match="not a session in the store"):
            store.open_or_create(ref)
    assert escaped.read_bytes() == before
    assert sorted(p.name for p in store.root.iterdir()) == before_ids


def test_open_or_create_refuses_a_new_path_instead_of_naming_a_session_after_it(store, tmp_path):
    """Regression: `--session /tmp/nonexistent/new.jsonl` created `tmp-nonexistent-new.jsonl`
    in the store; a path that names no session is refused, inside the store or out of it."""
    before_ids = sorted(p.name for p in store.root.iterdir())
    refs = (str(tmp_path / "nonexistent" / "new.jsonl"), str(store.root / "new.jsonl"),
            "sub/new", "~/new.jsonl")
    for ref in refs:
        with pytest.raises(NotInStoreError, match="not a session in the store"):
            store.open_or_create(ref)
    request, result = synthetic.generation(random.Random(1), 3)
    with pytest.raises(NotInStoreError):
        record_to(refs[0], request, result, data_dir=store.root.parent)
    assert sorted(p.name for p in store.root.iterdir()) == before_ids
    assert not (tmp_path / "nonexistent").exists()
    # a path to a session of the store still appends to it
    assert store.open_or_create(str(store.root / "cats.jsonl")).id == "cats"


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


# ----- the index ------------------------------------------------------------------------------------

def test_a_warm_list_and_search_read_no_journal(store, trusting, no_journal_reads):
    """Regression: list opened and verified every journal in full, search did it twice."""
    store.create("cats again", SessionOrigin("cats", "rerun", "system custom: 'Be [b]rief'"))
    first = listing(store)
    assert first == {"cats": ("cats", 1, "synthetic.gguf", 0, ""),
                     "dogs": ("dogs", 2, "synthetic.gguf", 0, ""),
                     "cats-again": ("cats again", 0, "", 0, "")}
    cold = store.list()
    no_journal_reads["on"] = True
    assert store.list() == cold  # every field, the origin included
    assert cold[0].origin == SessionOrigin("cats", "rerun", "system custom: 'Be [b]rief'")
    assert [i.id for i in store.search("ABOUT CATS")] == ["cats"]
    assert [i.id for i in store.search("dogs?")] == ["dogs"]
    assert store.search("synthetic.gguf") and not store.search("no such words")


def test_search_matches_answers_options_and_skips_unreadable(store):
    dogs = Session.open(store.root / "dogs.jsonl")
    answer = dogs.turns[0].result.text.strip().split()[0]
    option = dogs.turns[1].request.options[-1]
    (store.root / "broken.jsonl").write_text("nope\n")
    assert "dogs" in {i.id for i in store.search(answer)}
    assert [i.id for i in store.search(option.upper())] == ["dogs"]
    assert "broken" not in {i.id for i in store.search("nope")}
    assert listing(store)["broken"][4].startswith(str(store.root / "broken.jsonl"))


@pytest.mark.parametrize("settle", [0.0, None])
def test_changes_behind_its_back_are_listed(store, monkeypatch, settle):
    if settle is not None:
        monkeypatch.setattr(session_index, "SETTLE_S", settle)
    store.list()
    rng = random.Random(9)
    record_turn(Session.open(store.root / "cats.jsonl"), *synthetic.generation(rng, 3))  # appended
    (store.root / "dogs.jsonl").unlink()  # removed
    new = SessionStore(store.root.parent).create("birds")  # added
    record_turn(new, *synthetic.generation(rng, 3, prompt="Birds fly?"))
    assert listing(store) == {"cats": ("cats", 2, "synthetic.gguf", 0, ""),
                              "birds": ("birds", 1, "synthetic.gguf", 0, "")}
    assert [i.id for i in store.search("birds fly")] == ["birds"]
    path = store.root / "cats.jsonl"
    path.write_bytes(path.read_bytes()[:-30])  # torn behind its back
    assert listing(store)["cats"][1:4] == (1, "synthetic.gguf", 1)


def test_a_same_size_rewrite_right_after_indexing_is_seen(store):
    store.list()
    path = store.root / "cats.jsonl"
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"name":"cats"', b'"name":"lion"', 1))
    assert len(path.read_bytes()) == len(data)
    assert listing(store)["cats"][0] == "lion"


@pytest.mark.parametrize("damage", [
    b"\x00\xff garbage", b"", b"[]", b'{"version": 1}', b'{"version": 1, "entries": []}',
    "truncate", "bad-entry", "bad-origin",
])
def test_a_corrupt_index_is_rebuilt(store, trusting, damage):
    expected = listing(store)
    index_path = store.root / session_index.INDEX_NAME
    assert index_path.exists()
    if damage == "truncate":
        damage = index_path.read_bytes()[:-20]
    elif damage in ("bad-entry", "bad-origin"):
        data = json.loads(index_path.read_bytes())
        for entry in data["entries"].values():
            entry["info"]["turns" if damage == "bad-entry" else "origin"] = "many"
        damage = json.dumps(data).encode()
    index_path.write_bytes(damage)
    assert listing(store) == expected
    rebuilt = json.loads(index_path.read_bytes())
    assert set(rebuilt["entries"]) == {"cats", "dogs"}


def test_the_index_is_never_listed_and_a_stale_version_is_rebuilt(store, trusting, no_journal_reads):
    store.list()
    index_path = store.root / session_index.INDEX_NAME
    data = json.loads(index_path.read_bytes())
    data["format_version"] = 0  # written by a logitscope that read another journal format
    index_path.write_text(json.dumps(data))
    no_journal_reads["on"] = True
    with pytest.raises(AssertionError, match="opened"):
        store.list()
    no_journal_reads["on"] = False
    assert set(listing(store)) == {"cats", "dogs"}


def test_concurrent_writers_never_tear_the_index(store, trusting):
    rng = random.Random(3)
    for n in range(6):
        record_turn(store.create(f"s{n}"), *synthetic.generation(rng, 3))
    expected = listing(store)
    (store.root / session_index.INDEX_NAME).unlink()
    errors = []

    def lister():
        try:
            for _ in range(4):
                assert listing(SessionStore(store.root.parent)) == expected
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=lister) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert set(json.loads((store.root / session_index.INDEX_NAME).read_bytes())["entries"]) == set(expected)
    assert [p.name for p in store.root.iterdir() if p.name.endswith(".tmp")] == []


def test_temp_names_are_unique_per_process_and_call(store):
    names = {session_index.temp_path(store.root).name for _ in range(50)}
    assert len(names) == 50 and all(f".{os.getpid()}." in n for n in names)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write a read-only folder")
def test_a_read_only_store_still_lists(store):
    os.chmod(store.root, 0o555)
    try:
        assert set(listing(store)) == {"cats", "dogs"}
    finally:
        os.chmod(store.root, 0o755)


def test_an_unwritable_index_still_lists(store, trusting):
    (store.root / session_index.INDEX_NAME).mkdir()  # cannot be read or replaced
    assert set(listing(store)) == {"cats", "dogs"} and set(listing(store)) == {"cats", "dogs"}
    assert [p.name for p in store.root.iterdir() if p.name.endswith(".tmp")] == []
