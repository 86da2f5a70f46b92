"""`logitscope battery list|show` through the real console entry point (no model needed)."""

from __future__ import annotations

import json
from pathlib import Path

from sessions.batteries import load_battery, shipped_battery_paths
from tui.cli.main import main

DATA = Path(__file__).parent / "data"


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json(capsys):
    code, out, _ = run(["battery", "list", "--json"], capsys)
    assert code == 0
    records = json.loads(out)
    paths = shipped_battery_paths()
    assert [r["name"] for r in records] == list(paths)
    for record in records:
        battery = load_battery(record["name"])
        assert record["family"] == battery.family
        assert record["questions"] == len(battery.questions)
        assert record["items"] == battery.count_items()
        assert record["path"] == str(paths[record["name"]])


def test_list_text(capsys):
    code, out, _ = run(["battery", "list"], capsys)
    assert code == 0
    assert out.splitlines()[0].split() == ["name", "family", "questions", "path"]
    assert any(line.split()[:3] == ["backdoor", "backdoor", "4"] for line in out.splitlines())


def test_show_json_gives_the_exact_first_message(capsys):
    code, out, _ = run(["battery", "show", "backdoor", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    battery = load_battery("backdoor")
    first_items = {}
    for item in battery.items():
        first_items.setdefault(item.question.name, item)
    assert [q["name"] for q in data["questions"]] == [q.name for q in battery.questions]
    for record in data["questions"]:
        item = first_items[record["name"]]
        assert record["user_message"] == item.user_message
        assert record["scored"] == list(item.scored)
        assert record["paraphrases"] == len(item.question.paraphrases)
        assert record["readout"]["kind"] == item.readout.kind.value
    letters = data["questions"][0]
    assert letters["orderings"] == 2 and letters["scored"] == ["A", "B"]
    assert letters["readout"]["labels"] == "letters"


def test_show_text_of_a_paper_file(capsys):
    code, out, _ = run(["battery", "show", str(DATA / "which_game.yaml")], capsys)
    assert code == 0
    battery = load_battery(DATA / "which_game.yaml")
    first = battery.questions[0]
    assert f"{first.name}  [multiple_choice]  5 paraphrases, 1 ordering (2 with --permute)" in out
    assert "left as written: {codeword}" in out
    quoted = "\n".join(f"    | {line}".rstrip() for line in first.user_message(0).split("\n"))
    assert quoted in out


def test_errors_are_one_line_and_exit_1(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: q\n  question: Pick.\n  options: [a]\n")
    code, out, err = run(["battery", "show", str(bad)], capsys)
    assert code == 1 and out == ""
    assert err == f"logitscope: Invalid battery: {bad}:3: question 'q': key 'options': expected 2-10 options, got 1\n"
    code, _, err = run(["battery", "show", "nonesuch"], capsys)
    assert code == 1 and "No such battery: no battery named 'nonesuch'" in err
