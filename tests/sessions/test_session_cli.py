"""`logitscope session ...` through the real console entry point: JSON shapes, exports, errors
(reported by the CLI's one handler, llama.cpp's reason included), and deletion that only ever
removes a session inside the store."""

from __future__ import annotations

import json
import random

import pytest

from engine.errors import ModelLoadError
from sessions import SessionStore, record_turn, synthetic
from tui.cli import session_commands
from tui.cli.main import main


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    store = SessionStore(tmp_path)
    rng = random.Random(11)
    first = store.create("first")
    record_turn(first, *synthetic.generation(rng, 6))
    record_turn(first, *synthetic.choice(rng))
    second = store.create("second")
    record_turn(second, *synthetic.generation(rng, 6))
    return store


def test_list_json(store, capsys):
    code, out, _ = run(["session", "list", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert {d["id"] for d in data} == {"first", "second"}
    first = next(d for d in data if d["id"] == "first")
    assert first["turns"] == 2 and first["model"] == "synthetic.gguf"
    assert set(first) >= {"id", "name", "path", "created", "turns", "model", "problems"}


def test_show_json_has_every_turn_with_steps_and_provenance(store, capsys):
    code, out, _ = run(["session", "show", "first", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["header"]["version"] == 1 and data["problems"] == []
    generation, choice = data["turns"]
    assert generation["kind"] == "generation" and choice["kind"] == "choice"
    steps = generation["result"]["steps"]
    assert len(steps) == 6 and len(steps[0]["top"]) == 10
    # the same per-token record as `ask --json`: bytes in hex, `top` as objects
    assert set(steps[0]) >= {"i", "id", "text", "bytes", "logprob", "prob", "entropy", "rank", "top"}
    assert bytes.fromhex(steps[0]["bytes"]).decode() == steps[0]["text"]
    assert set(steps[0]["top"][0]) == {"id", "text", "logprob"}
    provenance = generation["result"]["provenance"]
    assert provenance["model_sha256"] and provenance["sampling"]["seed"] is not None
    assert provenance["prompt_token_ids"] and provenance["rendered_prompt"]
    assert provenance["system"] == {"mode": "custom", "text": "You are terse."}


def test_show_by_path_and_text(store, capsys):
    code, out, _ = run(["session", "show", str(store.root / "first.jsonl")], capsys)
    assert code == 0 and "Tell me about cats." in out


def test_show_reports_damage_as_warning(store, capsys):
    path = store.root / "first.jsonl"
    path.write_bytes(path.read_bytes()[:-40])
    code, out, err = run(["session", "show", "first", "--json"], capsys)
    assert code == 0 and len(json.loads(out)["turns"]) == 1
    assert "warning:" in err and "line 3" in err and "cut short" in err


def test_errors_are_one_line(store, capsys, tmp_path):
    code, _, err = run(["session", "show", "nope"], capsys)
    assert code == 1 and err.count("\n") == 1 and "No such session" in err
    bogus = tmp_path / "bogus.txt"
    bogus.write_text("hello\n")
    code, _, err = run(["session", "show", str(bogus)], capsys)
    assert code == 1 and err.count("\n") == 1 and "not a logitscope session" in err


def test_compare_json(store, capsys):
    code, out, _ = run(["session", "compare", "first", "second", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["paired_by"] == "position" and len(data["turns"]) == 1
    turn = data["turns"][0]
    assert len(turn["positions"]) == 6 and {"kl_ab", "kl_ba", "js"} <= set(turn["positions"][0])
    assert turn["first_divergence"] == 0
    code, out, _ = run(["session", "compare", "first@1", "first@1", "--json"], capsys)
    assert code == 0 and json.loads(out)["turns"][0]["first_divergence"] is None


@pytest.mark.parametrize("fmt", ["md", "html", "jsonl"])
def test_export(store, capsys, tmp_path, fmt):
    out_file = tmp_path / f"out.{fmt}"
    code, out, _ = run(["session", "export", "first", "--format", fmt, "--out", str(out_file)], capsys)
    assert code == 0 and out_file.stat().st_size > 1000
    if fmt == "html":
        assert "http" not in out_file.read_text()


def test_delete(store, capsys):
    code, out, _ = run(["session", "delete", "second"], capsys)
    assert code == 0 and not (store.root / "second.jsonl").exists()
    code, _, err = run(["session", "delete", "second"], capsys)
    assert code == 1 and "No such session" in err


def test_delete_by_path_inside_the_store_name_and_prefix(store, capsys):
    code, _, _ = run(["session", "delete", str(store.root / "second.jsonl")], capsys)
    assert code == 0 and not (store.root / "second.jsonl").exists()
    store.create("Third one")
    code, _, _ = run(["session", "delete", "Third one"], capsys)
    assert code == 0 and not (store.root / "third-one.jsonl").exists()
    code, _, _ = run(["session", "delete", "fir"], capsys)
    assert code == 0 and not (store.root / "first.jsonl").exists()


def test_delete_refuses_a_file_outside_the_store(store, capsys, tmp_path, monkeypatch):
    """Regression: `session delete notes.txt` deleted ./notes.txt."""
    folder = tmp_path / "work"
    folder.mkdir()
    notes = folder / "notes.txt"
    notes.write_text("my notes\n")
    monkeypatch.chdir(folder)
    code, out, err = run(["session", "delete", "notes.txt"], capsys)
    assert code == 1 and notes.read_text() == "my notes\n"
    assert "Deleted" not in out and err.count("\n") == 1
    assert "not a session in the store" in err and str(store.root) in err
    code, _, err = run(["session", "delete", str(notes)], capsys)
    assert code == 1 and notes.exists()


def test_delete_refuses_a_session_file_outside_the_store(store, capsys, tmp_path):
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_bytes((store.root / "first.jsonl").read_bytes())
    code, _, err = run(["session", "delete", str(outside)], capsys)
    assert code == 1 and outside.exists() and "not a session in the store" in err
    code, _, err = run(["session", "delete", "../elsewhere"], capsys)  # an "id" escaping the store
    assert code == 1 and outside.exists() and "No such session" in err


def test_delete_refuses_a_file_in_the_store_that_is_not_a_session(store, capsys):
    junk = store.root / "junk.jsonl"
    junk.write_text("hello\n")
    code, _, err = run(["session", "delete", "junk"], capsys)
    assert code == 1 and junk.read_text() == "hello\n"
    assert "not a logitscope session" in err and "left untouched" in err


def test_engine_errors_reach_the_one_handler_with_llama_cpp_details(store, capsys, monkeypatch):
    """Regression: session commands caught errors themselves and dropped llama.cpp's reason."""
    def fail(*_args):
        raise ModelLoadError("The model could not be loaded.",
                             details="llama_model_load: error loading model: tensor 'x' is corrupt")
    monkeypatch.setattr(session_commands, "_backend", fail)
    code, _, err = run(["session", "rerun", "first"], capsys)
    assert code == 1 and "Could not load model: The model could not be loaded." in err
    assert "llama.cpp said" in err and "tensor 'x' is corrupt" in err
    assert {i.id for i in store.list()} == {"first", "second"}  # nothing half-made is left


def test_rerun_with_missing_model_explains(store, capsys):
    code, _, err = run(["session", "rerun", "first"], capsys)
    assert code == 1 and "/models/synthetic.gguf is missing" in err and "--model" in err


@pytest.fixture
def failed_session(store):
    """A session whose first turn an error ended after 3 tokens (its note is the error)."""
    from engine.types import ModelInfo
    from sessions.partial import failed_generation

    request, complete = synthetic.generation(random.Random(4), 6, 4)
    model = ModelInfo("/models/m.gguf", "cd" * 32, "m", "llama", 100, 2048, 8192, True, 1000)
    session = store.create("broken")
    record_turn(session, request, failed_generation(request, complete.steps[:3], model, ()),
                note="The llama.cpp worker was killed by SIGKILL.")
    record_turn(session, request, complete, note="a plain note")
    return session


def test_show_marks_a_failed_turn_with_its_finish_reason_and_error(failed_session, capsys):
    code, out, _ = run(["session", "show", "broken"], capsys)
    assert code == 0
    first, second = out.split("\n[1] ")[1].split("\n[2] ")
    assert "failed (finish reason error): The llama.cpp worker was killed by SIGKILL." in first
    assert "failed" not in second and "SIGKILL" not in second


def test_markdown_export_shows_a_failed_turn_s_error(failed_session, capsys, tmp_path):
    out_file = tmp_path / "broken.md"
    code, _, _ = run(["session", "export", "broken", "--format", "md", "--out", str(out_file)], capsys)
    assert code == 0
    first, second = out_file.read_text().split("## Turn 2")
    assert "**Failed:** The llama.cpp worker was killed by SIGKILL." in first
    assert "Failed" not in second


def test_show_names_a_regeneration_and_a_branch_by_what_they_are(store, capsys):
    rng = random.Random(5)
    session = store.create("forks")
    first = record_turn(session, *synthetic.generation(rng, 4))
    record_turn(session, *synthetic.generation(rng, 4), parent=first.id)  # F8: no position
    record_turn(session, *synthetic.generation(rng, 4), parent=first.id, branch_position=2)
    code, out, _ = run(["session", "show", "forks"], capsys)
    assert code == 0
    assert f"regeneration of {first.id}\n" in out and f"branch of {first.id}@2\n" in out
    assert "@None" not in out


def test_list_shows_each_session_s_file_name(store, capsys):
    code, out, _ = run(["session", "list"], capsys)
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert lines["first"].endswith("first.jsonl") and lines["second"].endswith("second.jsonl")
