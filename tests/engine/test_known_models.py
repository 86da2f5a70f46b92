"""The models a user already has: history file (atomic, capped, newest first) and the grouped list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.default_model import default_model_path
from engine.known_models import (
    CURRENT,
    DEFAULT,
    HISTORY_FILE,
    NEARBY,
    USED_BEFORE,
    ModelHistory,
    ModelSource,
    default_sources,
    find_known_models,
)


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def gguf(path: Path, size: int = 1024) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + b"\0" * (size - 4))
    return path


def test_history_is_newest_first_once_each_capped_and_leaves_no_temp_file(tmp_path):
    history = ModelHistory(tmp_path, limit=3)
    assert history.paths() == []
    for name in ["a", "b", "c", "a", "d"]:
        history.record(tmp_path / f"{name}.gguf")
    assert [p.name for p in history.paths()] == ["d.gguf", "a.gguf", "c.gguf"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [HISTORY_FILE]
    saved = json.loads((tmp_path / HISTORY_FILE).read_text())
    assert saved["version"] == 1 and saved["models"][0] == {"path": str(tmp_path / "d.gguf")}


def test_history_spellings_of_one_file_are_one_entry(tmp_path):
    model = gguf(tmp_path / "m" / "model.gguf")
    (tmp_path / "link.gguf").symlink_to(model)
    history = ModelHistory(tmp_path)
    history.record(model)
    history.record(tmp_path / "m" / ".." / "m" / "model.gguf")
    history.record(tmp_path / "link.gguf")
    assert history.paths() == [model.resolve()]


def test_a_malformed_history_reads_as_empty_and_is_replaced(tmp_path):
    (tmp_path / HISTORY_FILE).write_text("{not json")
    history = ModelHistory(tmp_path)
    assert history.paths() == []
    history.record(tmp_path / "x.gguf")
    assert history.paths() == [tmp_path / "x.gguf"]


def test_known_models_are_grouped_in_order_each_file_once_with_size(tmp_path, data):
    here = tmp_path / "here"
    current = gguf(here / "current.gguf", 3000)
    sibling = gguf(here / "sibling.gguf", 2000)
    stored = gguf(data / "models" / "stored.gguf", 1000)
    older = gguf(tmp_path / "elsewhere" / "older.gguf", 500)
    history = ModelHistory(data)
    for path in [tmp_path / "gone.gguf", sibling, older, current]:
        history.record(path)
    models = find_known_models(current, default_sources(history))

    assert [(m.source, m.name) for m in models] == [
        (CURRENT, "current.gguf"),
        (DEFAULT, default_model_path().name),
        (USED_BEFORE, "older.gguf"),
        (USED_BEFORE, "sibling.gguf"),
        (USED_BEFORE, "gone.gguf"),
        (NEARBY, "stored.gguf"),
    ]
    by_name = {m.name: m for m in models}
    assert by_name["current.gguf"].size_bytes == 3000 and by_name["current.gguf"].folder == str(here.resolve())
    assert by_name["current.gguf"].also == (USED_BEFORE, NEARBY)
    assert by_name["gone.gguf"].missing and by_name["gone.gguf"].size_bytes is None
    assert by_name["stored.gguf"].path == str(stored.resolve())


def test_sources_can_be_added_and_missing_files_skipped_where_asked(tmp_path, data):
    current = gguf(tmp_path / "current.gguf")
    cached = gguf(tmp_path / "cache" / "hub-model.gguf")
    extra = ModelSource("another tool's cache", lambda _current: [cached, tmp_path / "nope.gguf"],
                        keep_missing=False)
    models = find_known_models(current, [*default_sources(ModelHistory(data)), extra])
    assert [(m.source, m.name) for m in models][-1] == ("another tool's cache", "hub-model.gguf")
    assert "nope.gguf" not in [m.name for m in models]


def test_a_current_model_that_is_gone_is_still_listed_as_missing(tmp_path, data):
    models = find_known_models(tmp_path / "gone.gguf", default_sources(ModelHistory(data)))
    assert models[0].source == CURRENT and models[0].missing
