"""`model` keys in a configs file: taken by compare (relative to the file's folder, checked to be a
GGUF file, recorded in the definition), refused by battery run, whose configurations share the
loaded model, and every bad value refused naming file, table and key."""

from __future__ import annotations

import pytest

from engine.types import AdapterSpec
from sessions.batteries.configs import ConfigsError, load_configs


def resolve(text: str) -> AdapterSpec:
    return AdapterSpec(f"/lib/{text}.gguf", 1.0)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "other.gguf").write_bytes(b"GGUF" + (3).to_bytes(4, "little") + bytes(2048))
    (tmp_path / "notes.txt").write_text("not a model")
    return tmp_path


def write(folder, text):
    path = folder / "exp.toml"
    path.write_text(text)
    return path


def test_compare_takes_a_model_per_table_relative_to_the_file(folder, monkeypatch):
    monkeypatch.chdir("/")
    path = write(folder, '[base]\n[other]\nmodel = "models/other.gguf"\n'
                         '[grid.g]\nadapters = ["hello"]\nscales = [1, 2]\nmodel = "models/other.gguf"\n')
    base, other, *grid = load_configs(path, resolve, models=True)
    expected = str((folder / "models" / "other.gguf").resolve())
    assert base.model == "" and "model" not in base.definition()
    assert other.model == expected and other.definition()["model"] == expected
    assert [c.model for c in grid] == [expected, expected]


def test_battery_run_refuses_a_model_key(folder):
    path = write(folder, '[other]\nmodel = "models/other.gguf"\n')
    with pytest.raises(ConfigsError, match=r"\[other\] key 'model'.*share the loaded model"):
        load_configs(path, resolve)


@pytest.mark.parametrize(("value", "problem"), [
    ('"notes.txt"', "not a GGUF file"),
    ('"models/missing.gguf"', "does not exist"),
    ('""', "expected the path of a .gguf model file"),
    ("3", "expected the path of a .gguf model file"),
])
def test_bad_model_values_are_refused_naming_the_key(folder, value, problem):
    path = write(folder, f"[other]\nmodel = {value}\n")
    with pytest.raises(ConfigsError, match=rf"exp.toml: \[other\] key 'model': .*{problem}"):
        load_configs(path, resolve, models=True)
