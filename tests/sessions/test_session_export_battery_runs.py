"""Battery runs in every export: JSONL keeps each run as its battery line after the turns (the
export is a session again, with the runs), Markdown and HTML list each run (battery,
configurations, records, status, model, folder) with its summary rows."""

from __future__ import annotations

import math
import random
from html.parser import HTMLParser

import pytest

from sessions import BatteryRun, Session, SessionStore, new_battery_run, record_turn, synthetic
from sessions.batteries.summary import summarise
from sessions.battery_runs import battery_line
from sessions.export import FORMATS, export_jsonl, export_markdown, export_session, summary_cells
from sessions.format import header_line, turn_line
from sessions.html import export_html

FINGERPRINT = {"battery": "backdoor", "battery_path": "/b/backdoor.yaml", "battery_sha256": "ab" * 32,
               "configurations": [{"name": "base"}, {"name": "lora"}],
               "settings": {"permute": None, "samples": None, "temperature": None, "seed": 0},
               "model_path": "/models/qwen-tiny.gguf"}


def record(question: str, configuration: str, paraphrase: int, yes: float) -> dict:
    return {"key": f"{question}/p{paraphrase}/o0", "battery": "backdoor", "question": question,
            "readout": "options", "configuration": {"name": configuration, "group": configuration},
            "values": {"Yes": yes, "No": 1 - yes}, "model_path": "/models/qwen-tiny.gguf"}


def make_run(stopped: bool = False, error: str = "", one: bool = False) -> BatteryRun:
    records = [record(q, c, p, 0.2 + 0.1 * p + (0.3 if c == "lora" else 0))
               for c in ("base", "lora") for q in ("backdoor_ab", "backdoor_yn") for p in range(1 if one else 3)]
    return new_battery_run(FINGERPRINT, "/data/batteries/backdoor-20260101-000000", records,
                           summarise(records), stopped=stopped, error=error)


@pytest.fixture
def session(tmp_path) -> Session:
    """turn, battery run (stopped), turn, battery run (failed): as the TUI interleaves them."""
    session = SessionStore(tmp_path).create("with batteries")
    rng = random.Random(7)
    record_turn(session, *synthetic.generation(rng, 4))
    session.append_battery_run(make_run(stopped=True))
    record_turn(session, *synthetic.generation(rng, 3))
    session.append_battery_run(make_run(error="The worker is <gone> & done.", one=True))
    return Session.open(session.path)


def test_jsonl_keeps_every_battery_run_after_the_turns(session, tmp_path):
    data = export_jsonl(session)
    assert data == (header_line(session.header) + b"".join(turn_line(t) for t in session.turns)
                    + b"".join(battery_line(r) for r in session.battery_runs))
    lines = data.splitlines()
    assert [line[:17] for line in lines[3:]] == [b'{"type":"battery"'] * 2
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(data)
    again = Session.open(copy)
    assert again.problems == [] and list(again.turns) == list(session.turns)
    assert list(again.battery_runs) == list(session.battery_runs)
    assert again.battery_runs[1].status == "failed: The worker is <gone> & done."


def test_markdown_lists_each_battery_run_with_its_summary_rows(session):
    text = export_markdown(session)
    assert "- Turns: 2\n- Battery runs: 2\n" in text
    stopped, failed = session.battery_runs
    first = text.index("## Battery run 1 · backdoor · ")
    second = text.index("## Battery run 2 · backdoor · ")
    assert text.rindex("## Turn 2") < first < second
    block = text[first:second]
    for line in ("- Battery: backdoor (sha256 abababababab)", "- Configurations: base, lora",
                 "- Records: 12, summary rows: 8", "- Status: stopped", "- Model: qwen-tiny.gguf",
                 f"- Run folder: {stopped.folder}"):
        assert line in block
    assert "| question | readout | configuration | measure | mean | 95% interval | n |" in block
    for row in stopped.summary:
        assert "| " + " | ".join(summary_cells(row)) + " |" in block
    assert "| backdoor_ab | options | lora | Yes | 0.600 | " in block  # the mean of 0.5, 0.6, 0.7
    tail = text[second:]
    assert "- Status: failed: The worker is <gone> & done." in tail and "- Records: 4, summary rows: 8" in tail
    assert "| backdoor_ab | options | base | Yes | 0.200 | – | 1 |" in tail  # one value: no interval


class _Cells(HTMLParser):
    """The text of each table row of each `<section id="batteryN">`."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self.items: dict[str, list[str]] = {}
        self._section: str | None = None
        self._cell: list[str] | None = None
        self._item: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        ident = dict(attrs).get("id") or ""
        if tag == "section":
            self._section = ident if ident.startswith("battery") else None
            if self._section:
                self.sections[ident], self.items[ident] = [], []
        elif self._section and tag == "tr":
            self.sections[self._section].append([])
        elif self._section and tag in ("td", "th"):
            self._cell = []
        elif self._section and tag == "li":
            self._item = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._section:
            self.sections[self._section][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "li" and self._item is not None and self._section:
            self.items[self._section].append("".join(self._item))
            self._item = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data):
        for part in (self._cell, self._item):
            if part is not None:
                part.append(data)


def test_html_lists_each_battery_run_with_its_summary_rows(session):
    page = export_html(session)
    assert "2 turns · 7 tokens · mean token probability" in page and " · 2 battery runs" in page
    assert "<gone>" not in page  # the error is text, escaped
    parsed = _Cells()
    parsed.feed(page)
    assert list(parsed.sections) == ["battery1", "battery2"]
    stopped, failed = session.battery_runs
    for ident, run in (("battery1", stopped), ("battery2", failed)):
        header, *rows = parsed.sections[ident]
        assert tuple(header) == ("question", "readout", "configuration", "measure", "mean", "95% interval", "n")
        assert [tuple(r) for r in rows] == [summary_cells(row) for row in run.summary]
    assert parsed.items["battery1"][:4] == ["Battery: backdoor (sha256 abababababab)", "Configurations: base, lora",
                                            "Records: 12, summary rows: 8", "Status: stopped"]
    assert "Status: failed: The worker is <gone> & done." in parsed.items["battery2"]
    assert page.index('id="turn2"') < page.index('id="battery1"')


def test_a_session_of_battery_runs_only_exports_them_in_every_format(tmp_path):
    session = SessionStore(tmp_path).create("only batteries")
    run = session.append_battery_run(make_run())
    for fmt in FORMATS:
        if fmt.startswith("tree"):
            continue  # a branch tree holds chat turns only (docs/session-format.md, Exports)
        data = export_session(session, fmt)
        assert b"backdoor" in data, fmt
    assert b"Status: finished" in export_session(session, "md")
    assert b'<section class="turn battery" id="battery1">' in export_session(session, "html")
    assert export_session(session, "jsonl").splitlines()[1] + b"\n" == battery_line(run)


def test_a_mean_of_no_finite_value_is_a_dash(tmp_path):
    records = [record("q", "base", 0, math.nan)]
    records[0]["values"] = {"Yes": None}
    run = new_battery_run(FINGERPRINT, "/f", records, summarise(records))
    assert summary_cells(run.summary[0]) == ("q", "options", "base", "Yes", "–", "–", "0")
