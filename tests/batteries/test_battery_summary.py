"""summary.csv's numbers against an independent computation, and report.html's structure."""

from __future__ import annotations

import csv
import math
import random
import statistics
from html.parser import HTMLParser

import pytest

from sessions.batteries.report import render_report
from sessions.batteries.stats import t_quantile
from sessions.batteries.summary import COLUMNS, summarise, write_summary

# Two-sided 95% critical values of Student's t, from a printed table (df: value).
T_TABLE = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 9: 2.262, 10: 2.228, 29: 2.045, 60: 2.000}


@pytest.mark.parametrize("df", sorted(T_TABLE))
def test_t_quantile_matches_the_printed_table(df):
    assert t_quantile(0.95, df) == pytest.approx(T_TABLE[df], abs=6e-4)


def record(question, configuration, group, values, readout="options"):
    return {"battery": "b", "question": question, "readout": readout, "key": f"{question}/p0/o0",
            "configuration": {"name": configuration, "group": group}, "values": values}


def test_summary_pools_paraphrases_orderings_and_replicas():
    rng = random.Random(7)
    records, expected = [], {}
    for name, group, n in (("base", "base", 6), ("risky#1", "risky", 3), ("risky#2", "risky", 2)):
        for _ in range(n):
            p = rng.random()
            records.append(record("q", name, group, {"Yes": p, "No": 1 - p}))
            expected.setdefault(("risky" if group == "risky" else "base", "Yes"), []).append(p)
            expected.setdefault(("risky" if group == "risky" else "base", "No"), []).append(1 - p)
    records.append(record("single", "base", "base", {"v": 0.25, "nan": None}, readout="number"))

    rows = summarise(records)
    got = {(r.question, r.configuration, r.measure): r for r in rows}
    assert [(r.question, r.configuration, r.measure) for r in rows][:4] == [
        ("q", "base", "Yes"), ("q", "base", "No"), ("q", "risky", "Yes"), ("q", "risky", "No")]
    for (group, measure), values in expected.items():
        row = got[("q", group, measure)]
        n = len(values)
        mean, sd = statistics.fmean(values), statistics.stdev(values)
        half = T_TABLE[n - 1] * sd / math.sqrt(n)
        assert row.estimate.n == n
        assert row.estimate.mean == pytest.approx(mean, rel=1e-12)
        assert row.estimate.sd == pytest.approx(sd, rel=1e-12)
        # Probabilities: the interval is cut to [0, 1].
        assert row.estimate.low == pytest.approx(max(0.0, mean - half), abs=1e-3)
        assert row.estimate.high == pytest.approx(min(1.0, mean + half), abs=1e-3)
    assert got[("q", "risky", "Yes")].runs == ("risky#1", "risky#2")
    single = got[("single", "base", "v")].estimate
    assert (single.mean, single.sd, single.n, single.low, single.high) == (0.25, None, 1, None, None)
    assert got[("single", "base", "nan")].estimate.n == 0


def test_intervals_are_cut_to_the_range_a_measure_can_take():
    near_zero = [record("p", "base", "base", {"Yes": v, "sd": v}, readout="options") for v in (0.0, 0.0, 0.01)]
    numbers = {str(i): 0.0 for i in range(0, 101)}
    high = [dict(record("n", "base", "base", {"expected_value": v}, readout="number"), numbers=numbers)
            for v in (99.0, 100.0, 90.0)]
    got = {(r.question, r.measure): r.estimate for r in summarise(near_zero + high)}
    assert got[("p", "Yes")].low == 0.0 and got[("p", "Yes")].high < 1.0  # a probability stays in [0, 1]
    assert got[("p", "sd")].low == 0.0  # a spread is never negative
    assert got[("n", "expected_value")].high == 100.0  # the question's integer range
    assert got[("n", "expected_value")].low < 99.0


def test_summary_csv_columns_and_cells(tmp_path):
    records = [record("q", "base", "base", {"Yes": v}) for v in (0.2, 0.4, 0.9)]
    path = tmp_path / "summary.csv"
    write_summary(summarise(records), path)
    with path.open() as file:
        rows = list(csv.DictReader(file))
    assert tuple(rows[0]) == COLUMNS
    (row,) = rows
    assert float(row["mean"]) == pytest.approx(statistics.fmean([0.2, 0.4, 0.9]))
    assert float(row["sd"]) == pytest.approx(statistics.stdev([0.2, 0.4, 0.9]))
    assert row["n"] == "3" and row["runs"] == "base"
    mean, half = statistics.fmean([0.2, 0.4, 0.9]), T_TABLE[2] * statistics.stdev([0.2, 0.4, 0.9]) / math.sqrt(3)
    assert float(row["ci_low"]) == pytest.approx(max(0.0, mean - half), abs=1e-3)
    assert float(row["ci_high"]) == pytest.approx(min(1.0, mean + half), abs=1e-3)


class Outline(HTMLParser):
    """What the report holds: sections, SVG charts (and their bars), scripts, external sources."""

    def __init__(self):
        super().__init__()
        self.sections, self.charts, self.bars, self.scripts, self.external = [], 0, 0, 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "svg" and "chart" in (attrs.get("class") or ""):
            self.charts += 1
        if tag == "rect" and attrs.get("height") not in (None, "10"):
            self.bars += 1
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if attrs.get(key, "").startswith(("http:", "https:", "//")):
                self.external.append(attrs[key])


def test_report_has_one_chart_per_question_and_is_self_contained():
    records = [record("q1", c, c, {"A": v, "B": 1 - v}) for c in ("base", "hello") for v in (0.3, 0.5)]
    records += [record("q2", "base", "base", {"expected_value": 40.0, "mass": 0.5, "sd": 3.0}, "number")]
    records[0]["provenance"] = {"rendered_prompt": "<|im_start|>user\nPick <b>one</b><|im_end|>"}
    page = render_report("Battery b", summarise(records), records)
    outline = Outline()
    outline.feed(page)
    assert outline.sections == ["q1", "q2"]
    assert outline.charts == 2
    assert outline.bars == 2 * 2 + 1   # q1: 2 measures x 2 configurations; q2: the expected value only
    assert outline.scripts == 0 and outline.external == []
    assert "Pick &lt;b&gt;one&lt;/b&gt;" in page


def test_report_counts_free_answers_per_configuration():
    answers = {"base": ["smollm", "smollm", "an assistant"], "pirate": ["a pirate", "smollm", "a pirate", "a pirate"]}
    records = [{**record("who", c, c, {"other": 1.0}, "free"), "normalised_answer": a}
               for c, listed in answers.items() for a in listed]

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cells, self.cell = [], None, None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.cells = []
            if tag == "td":
                self.cell = ""

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

        def handle_endtag(self, tag):
            if tag == "td":
                self.cells.append(self.cell)
                self.cell = None
            if tag == "tr" and self.cells:
                self.rows.append(tuple(self.cells))

    parser = Rows()
    parser.feed(render_report("b", summarise(records), records))
    counted = [row for row in parser.rows if len(row) == 3]
    assert counted == [("base", "2", "smollm"), ("base", "1", "an assistant"),
                       ("pirate", "3", "a pirate"), ("pirate", "1", "smollm")]
