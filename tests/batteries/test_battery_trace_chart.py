"""report.html's trace charts: entropy and top-1 mass per position, a line per configuration (the
mean over its records at each position), and nothing new in a report without trace questions."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from sessions.batteries.report import render_report
from sessions.batteries.summary import summarise
from sessions.batteries.trace_chart import position_means


def trace_record(configuration, group, entropy, top1, question="collapse"):
    finite = [v for v in entropy if v is not None]
    return {"battery": "b", "question": question, "readout": "trace", "key": f"{question}/p0/o0",
            "configuration": {"name": configuration, "group": group}, "entropy": entropy, "top1_mass": top1,
            "values": {"mean_entropy": sum(finite) / len(finite), "mean_top1_mass": sum(top1) / len(top1)}}


def option_record(question, configuration, p):
    return {"battery": "b", "question": question, "readout": "options", "key": f"{question}/p0/o0",
            "configuration": {"name": configuration, "group": configuration}, "values": {"A": p, "B": 1 - p}}


RECORDS = [
    trace_record("base", "base", [2.0, 1.0, 0.5], [0.4, 0.6, 0.9]),
    trace_record("base", "base", [1.0, 3.0], [0.6, 0.2]),                       # a shorter answer
    trace_record("risky#1", "risky", [0.5, None, 0.1, 0.1], [0.9, 0.95, 0.99, 1.0]),  # null: non-finite
    trace_record("risky#2", "risky", [0.3], [0.8]),
]


def test_position_means_average_the_records_that_reach_each_position():
    entropy = position_means(RECORDS, "collapse", "entropy")
    assert entropy["base"] == pytest.approx([1.5, 2.0, 0.5])
    assert entropy["risky"][0] == pytest.approx(0.4) and entropy["risky"][2:] == pytest.approx([0.1, 0.1])
    assert entropy["risky"][1] != entropy["risky"][1]  # NaN: no finite value at position 1
    assert position_means(RECORDS, "collapse", "top1_mass")["risky"] == pytest.approx([0.85, 0.95, 0.99, 1.0])
    assert position_means(RECORDS, "other", "entropy") == {}


class Traces(HTMLParser):
    """Per section: each trace SVG's title, its lines' point counts by configuration, its labels."""

    def __init__(self):
        super().__init__()
        self.section, self.svg, self.charts, self.traces, self.texts = None, None, {}, {}, []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs["id"]
        if tag == "script":
            self.scripts += 1
        if tag == "svg" and attrs.get("class") == "chart":
            self.charts[self.section] = self.charts.get(self.section, 0) + 1
        if tag == "svg" and attrs.get("class") == "trace":
            self.svg = {"title": attrs["aria-label"], "lines": {}, "circles": 0}
            self.traces.setdefault(self.section, []).append(self.svg)
        if self.svg is not None and tag == "polyline":
            self.svg["lines"][attrs["data-configuration"]] = [tuple(map(float, p.split(",")))
                                                              for p in attrs["points"].split()]
        if self.svg is not None and tag == "circle":
            self.svg["circles"] += 1

    def handle_data(self, data):
        if self.svg is not None:
            self.texts.append(data)

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None


def test_a_trace_question_gets_entropy_and_top1_lines_per_configuration():
    records = [option_record("pick", c, 0.3) for c in ("base", "risky")] + RECORDS
    parser = Traces()
    page = render_report("b", summarise(records), records)
    parser.feed(page)
    assert parser.charts == {"pick": 1, "collapse": 1}  # the bar charts as before
    assert list(parser.traces) == ["collapse"]          # trace charts only where the readout is trace
    entropy, top1 = parser.traces["collapse"]
    assert entropy["title"] == "entropy per position (nats)" and top1["title"] == "top-1 mass per position"
    # one point per position with a mean: base's longest answer has 3; risky's has 4, one of them null
    assert {c: len(points) for c, points in entropy["lines"].items()} == {"base": 3, "risky": 3}
    assert {c: len(points) for c, points in top1["lines"].items()} == {"base": 3, "risky": 4}
    assert entropy["circles"] == 6 and top1["circles"] == 7
    # x: positions spread over the plot, the same for both configurations; y: higher value, higher point
    base_x = [x for x, _ in top1["lines"]["base"]]
    assert base_x == sorted(base_x) and base_x == [x for x, _ in top1["lines"]["risky"]][:3]
    risky_y = [y for _, y in top1["lines"]["risky"]]
    assert risky_y == sorted(risky_y, reverse=True) and len(set(risky_y)) == 4  # 0.85 < 0.95 < 0.99 < 1
    (_, y_05), (_, y_04) = top1["lines"]["base"][:2]
    assert y_05 < y_04  # position 0's mean (0.4 and 0.6: 0.5) above position 1's (0.6 and 0.2: 0.4)
    assert "position in the answer" in parser.texts and "1" in parser.texts  # axis label and ticks
    assert "risky, position 1: 0.95" in page and parser.scripts == 0


def test_a_report_without_trace_questions_has_no_trace_chart():
    records = [option_record("pick", c, p) for c in ("base", "risky") for p in (0.2, 0.7)]
    page = render_report("b", summarise(records), records)
    parser = Traces()
    parser.feed(page)
    assert parser.charts == {"pick": 1} and parser.traces == {}
    assert 'class="trace"' not in page and "traces" not in page and "polyline" not in page
