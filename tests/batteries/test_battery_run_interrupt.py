"""Ctrl-C through `battery run`: exit 130, what is done is kept and summarised, the same command resumes."""

from __future__ import annotations

import csv

from battery_fake_backend import FakeBackend

import tui.cli.battery as battery_cli
from sessions.batteries.results import read_results
from tui.cli.main import main

BATTERY = """
name: small
questions:
  - name: ab
    question_type: multiple_choice
    question_paraphrases: ["Pick one.\\n\\n{options}", "Choose.\\n\\n{options}"]
    options: [red, blue]
"""


class Backends:
    """Stands in for LocalBackend: each `with` gets the next scripted backend."""

    def __init__(self, *backends):
        self.backends, self.models = list(backends), []

    def __call__(self, model):
        self.models.append(model)
        return _Context(self.backends.pop(0))


class _Context:
    def __init__(self, backend):
        self.backend = backend

    def __enter__(self):
        return self.backend

    def __exit__(self, *exc):
        return False


def test_ctrl_c_keeps_what_is_done_and_the_same_command_resumes(tmp_path, monkeypatch, capsys):
    (tmp_path / "small.yaml").write_text(BATTERY)
    (tmp_path / "c.toml").write_text('[base]\n[pirate]\nsystem = "Arr."\n')
    first, second = FakeBackend(interrupt_after=3), FakeBackend()
    backends = Backends(first, second)
    monkeypatch.setattr(battery_cli, "LocalBackend", backends)
    argv = ["battery", "run", str(tmp_path / "small.yaml"), "--configs", str(tmp_path / "c.toml"),
            "--out", str(tmp_path / "out")]

    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "stopped: 3 of 4 records kept" in err and "run the same command to resume" in err
    assert len(read_results(tmp_path / "out" / "results.jsonl")) == 3
    with (tmp_path / "out" / "summary.csv").open() as file:
        assert {row["configuration"] for row in csv.DictReader(file)} == {"base", "pirate"}
    assert (tmp_path / "out" / "report.html").exists()

    assert main(argv) == 0
    assert "3 already in" in capsys.readouterr().err
    assert second.calls == 1
    assert len(read_results(tmp_path / "out" / "results.jsonl")) == 4
    assert all(model.adapters == () for model in backends.models)
