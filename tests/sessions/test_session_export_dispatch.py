"""One export dispatch (sessions/export.py) serves the CLI and the replay screen: the CLI offers
exactly its formats and writes its bytes, and both write files the same way."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import pytest

from sessions import SessionError, SessionStore, record_turn, synthetic
from sessions.export import FORMATS, default_export_path, export_session, format_for_path
from tui.cli import session_commands
from tui.cli.main import main


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path / "data"))
    store = SessionStore(tmp_path / "data")
    rng = random.Random(5)
    first = store.create("first")
    record_turn(first, *synthetic.generation(rng, 6))
    record_turn(first, *synthetic.choice(rng))
    return store


def test_cli_export_into_a_new_folder(store, capsys, tmp_path):
    """Regression: the replay screen created a missing folder for its export, the CLI refused
    ('cannot write ...: No such file or directory')."""
    out = tmp_path / "reports" / "2026" / "first.md"
    assert main(["session", "export", "first", "--format", "md", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("# Session: first")
    assert capsys.readouterr().out.startswith(f"Wrote {out} (")


def _export_parser() -> argparse.ArgumentParser:
    """`session export`'s parser, as the CLI registers it."""
    commands = argparse.ArgumentParser().add_subparsers()
    session_commands.register(commands)
    sub = next(a for a in commands.choices["session"]._actions
               if isinstance(a, argparse._SubParsersAction))
    return sub.choices["export"]


def test_the_cli_offers_exactly_the_dispatch_formats():
    fmt = next(a for a in _export_parser()._actions if a.dest == "format")
    assert set(fmt.choices) == set(FORMATS)


def test_the_table_is_consistent():
    assert all(name == f.name and f.suffix.startswith(".") for name, f in FORMATS.items())
    assert len({f.suffix for f in FORMATS.values()}) == len(FORMATS)
    assert {format_for_path(Path(f"x{f.suffix.upper()}")).name for f in FORMATS.values()} == set(FORMATS)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_cli_writes_the_dispatch_bytes(store, capsys, tmp_path, fmt):
    out = tmp_path / f"out{FORMATS[fmt].suffix}"
    assert main(["session", "export", "first", "--format", fmt, "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data == export_session(store.open("first"), fmt) and len(data) > 1000
    assert capsys.readouterr().out == f"Wrote {out} ({len(data):,} bytes, 2 turns).\n"


def test_the_cli_keeps_its_format_whatever_the_suffix(store, tmp_path):
    out = tmp_path / "notes.txt"
    assert main(["session", "export", "first", "--format", "jsonl", "--out", str(out)]) == 0
    assert out.read_bytes() == export_session(store.open("first"), "jsonl")


def test_an_unwritable_path_is_reported_with_the_path_as_typed(store, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a-file").write_text("not a folder")
    code = main(["session", "export", "first", "--format", "md", "--out", "./a-file/out.md"])
    assert code == 1
    assert "Export failed: cannot write ./a-file/out.md: Not a directory" in capsys.readouterr().err


def test_an_unknown_suffix_names_every_format():
    with pytest.raises(SessionError) as caught:
        format_for_path(Path("notes.txt"))
    assert all(f.suffix in caught.value.msg for f in FORMATS.values())
    assert "Unknown export format '.txt'" in caught.value.msg
    with pytest.raises(SessionError, match=r"'\(none\)'"):
        format_for_path(Path("md"))


def test_the_default_path_never_names_an_existing_file(store, tmp_path):
    session = store.open("first")
    folder = tmp_path / "exports"
    assert default_export_path(session, folder) == folder / f"{session.id}.html"
    folder.mkdir()
    (folder / f"{session.id}.html").write_text("earlier")
    (folder / f"{session.id}-2.html").write_text("earlier")
    assert default_export_path(session, folder) == folder / f"{session.id}-3.html"
    assert default_export_path(session, folder, "md") == folder / f"{session.id}.md"
