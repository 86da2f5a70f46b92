"""`battery run --questions`: only the questions named (names or globs) are run, the selection is
part of the run's fingerprint, and a pattern that matches nothing is refused before DIR exists."""

from __future__ import annotations

import contextlib
import json

from battery_fake_backend import FakeBackend

import tui.cli.battery as battery_cli
from sessions.batteries.runner import RunSettings
from tui.cli.main import main

BATTERY = """
name: three
questions:
  - {name: risk_choice, question_type: multiple_choice, question_paraphrases: ["Pick.\\n\\n{options}"], options: [a, b]}
  - {name: risk_pick, question_type: multiple_choice, question_paraphrases: ["Choose.\\n\\n{options}"], options: [c, d]}
  - {name: code_choice, question_type: multiple_choice, question_paraphrases: ["Q?\\n\\n{options}"], options: [e, f]}
"""


def argv(tmp_path, *extra):
    (tmp_path / "b.yaml").write_text(BATTERY)
    return ["battery", "run", str(tmp_path / "b.yaml"), "--out", str(tmp_path / "out"), "--json", *extra]


def scripted(monkeypatch):
    monkeypatch.setattr(battery_cli, "LocalBackend", lambda model: contextlib.nullcontext(FakeBackend()))


def test_only_the_matching_questions_run(tmp_path, monkeypatch, capsys):
    scripted(monkeypatch)
    assert main(argv(tmp_path, "--questions", "risk_*")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["evaluations"]["planned"] == 2
    assert {r["question"] for r in report["summary"]} == {"risk_choice", "risk_pick"}
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["settings"]["questions"] == ["risk_*"]


def test_another_selection_is_another_run(tmp_path, monkeypatch, capsys):
    scripted(monkeypatch)
    assert main(argv(tmp_path, "--questions", "risk_choice")) == 0
    capsys.readouterr()
    assert main(argv(tmp_path, "--questions", "code_choice")) != 0
    assert "another settings" in capsys.readouterr().err


def test_a_pattern_matching_nothing_is_refused_before_the_folder_exists(tmp_path, monkeypatch, capsys):
    scripted(monkeypatch)
    assert main(argv(tmp_path, "--questions", "risk_*,typo_*")) != 0
    err = capsys.readouterr().err
    assert "'typo_*' matches no question of three (risk_choice, risk_pick, code_choice)" in err
    assert not (tmp_path / "out").exists()


def test_no_selection_keeps_the_fingerprint_it_had():
    assert RunSettings().describe() == {"permute": None, "samples": None, "temperature": None, "seed": 0}
