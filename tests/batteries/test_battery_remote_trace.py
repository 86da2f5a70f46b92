"""A trace question on a remote engine's top-k + rest: its record says `distribution`, its entropy
measure is `mean_entropy_topk_rest` (a lower bound, never pooled with `mean_entropy`), and
report.html's entropy chart says so; a local trace is recorded exactly as before."""

from __future__ import annotations

import math
from dataclasses import replace

from test_battery_token_texts import Answering
from test_battery_trace_chart import trace_record

from engine.types import DISTRIBUTION_TOP_K, SystemPrompt
from sessions.batteries.format import TraceReadout
from sessions.batteries.readouts import read_trace
from sessions.batteries.report import render_report
from sessions.batteries.summary import measure_bounds, summarise
from sessions.distribution_marks import LEGEND


def _remote() -> Answering:
    backend = Answering()
    backend.steps = tuple(replace(s, distribution=DISTRIBUTION_TOP_K) for s in backend.steps)
    return backend


def test_a_remote_trace_record_is_marked():
    fields = read_trace(_remote(), TraceReadout(), SystemPrompt.none(), "Only say hi.", seed=0)
    assert fields["distribution"] == "top-k+rest"
    assert set(fields["values"]) == {"mean_entropy_topk_rest", "mean_top1_mass"}
    assert measure_bounds("trace", "mean_entropy_topk_rest") == (0.0, math.inf)


def test_a_local_trace_record_is_unchanged():
    fields = read_trace(Answering(), TraceReadout(), SystemPrompt.none(), "Only say hi.", seed=0)
    assert "distribution" not in fields
    assert set(fields["values"]) == {"mean_entropy", "mean_top1_mass"}


def test_the_report_marks_a_remote_traces_entropy_chart():
    local = [trace_record("base", "base", [2.0, 1.0], [0.4, 0.6])]
    remote = [{**r, "distribution": "top-k+rest"} for r in local]
    assert "top-k + rest" not in render_report("t", summarise(local), local)
    page = render_report("t", summarise(remote), remote)
    assert "entropy per position ≥ (nats, top-k + rest)" in page
    assert LEGEND.replace("'", "&#x27;") in page
