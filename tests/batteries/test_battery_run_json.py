"""`battery run --json`: one JSON object on stdout at the end (also after Ctrl-C, with stopped:
true), the progress on stderr; the summary rows are summary.csv's."""

from __future__ import annotations

import contextlib
import csv
import json

from battery_fake_backend import FakeBackend

import tui.cli.battery as battery_cli
from tui.cli.main import main

BATTERY = """
name: small
questions:
  - name: ab
    question_type: multiple_choice
    question_paraphrases: ["Pick one.\\n\\n{options}", "Choose.\\n\\n{options}"]
    options: [red, blue]
"""


def scripted(monkeypatch, *backends):
    """LocalBackend replaced: each `with LocalBackend(model)` gets the next scripted backend."""
    queue = list(backends)
    monkeypatch.setattr(battery_cli, "LocalBackend", lambda model: contextlib.nullcontext(queue.pop(0)))


def setup(tmp_path):
    (tmp_path / "small.yaml").write_text(BATTERY)
    (tmp_path / "c.toml").write_text('[base]\n[pirate]\nsystem = "Arr."\n')
    return ["battery", "run", str(tmp_path / "small.yaml"), "--configs", str(tmp_path / "c.toml"),
            "--out", str(tmp_path / "out"), "--json"]


def csv_rows(tmp_path):
    with (tmp_path / "out" / "summary.csv").open() as file:
        return list(csv.DictReader(file))


def test_one_object_on_stdout_with_the_files_evaluations_and_summary_rows(tmp_path, monkeypatch, capsys):
    argv = setup(tmp_path)
    scripted(monkeypatch, FakeBackend())
    assert main(argv) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)  # the whole of stdout is the one object
    out = tmp_path / "out"
    assert report["battery"] == "small" and report["battery_path"] == str(tmp_path / "small.yaml")
    assert report["folder"] == str(out)
    assert report["files"] == {"results": str(out / "results.jsonl"), "run": str(out / "run.json"),
                               "summary": str(out / "summary.csv"), "report": str(out / "report.html")}
    assert all((out / name).exists() for name in ("results.jsonl", "run.json", "summary.csv", "report.html"))
    assert report["configurations"] == ["base", "pirate"]
    assert report["evaluations"] == {"planned": 4, "skipped": 0, "done": 4, "remaining": 0}
    assert report["records"] == 4 and report["stopped"] is False
    rows = csv_rows(tmp_path)
    assert [(r["question"], r["configuration"], r["measure"]) for r in report["summary"]] == \
        [(r["question"], r["configuration"], r["measure"]) for r in rows]
    for got, row in zip(report["summary"], rows, strict=True):
        assert got["mean"] == float(row["mean"]) and got["n"] == int(row["n"])
        assert got["sd"] == float(row["sd"]) and got["ci_low"] == float(row["ci_low"])
        assert got["runs"] == row["runs"].split()
    assert "running [" in captured.err and "records, " not in captured.out


def test_ctrl_c_prints_the_same_shape_stopped_and_the_resume_counts_what_it_skipped(tmp_path, monkeypatch,
                                                                                       capsys):
    argv = setup(tmp_path)
    scripted(monkeypatch, FakeBackend(interrupt_after=3), FakeBackend())
    assert main(argv) == 130
    captured = capsys.readouterr()
    stopped = json.loads(captured.out)
    assert stopped["stopped"] is True and stopped["records"] == 3
    assert stopped["evaluations"] == {"planned": 4, "skipped": 0, "done": 3, "remaining": 1}
    assert {r["configuration"] for r in stopped["summary"]} == {"base", "pirate"}
    assert "stopped: 3 of 4 records kept" in captured.err

    assert main(argv) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert resumed.keys() == stopped.keys()
    assert resumed["stopped"] is False and resumed["records"] == 4
    assert resumed["evaluations"] == {"planned": 4, "skipped": 3, "done": 1, "remaining": 0}


def test_a_single_record_row_has_null_spread(tmp_path, monkeypatch, capsys):
    argv = setup(tmp_path)
    one_paraphrase = BATTERY.replace(', "Choose.\\n\\n{options}"', "")
    assert one_paraphrase != BATTERY
    (tmp_path / "small.yaml").write_text(one_paraphrase)
    scripted(monkeypatch, FakeBackend())
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)["summary"]
    assert rows and all(r["n"] == 1 and r["sd"] is None and r["ci_low"] is None and r["ci_high"] is None
                        for r in rows)
