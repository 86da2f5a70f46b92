"""`DIR/summary.csv`: each question x configuration x measure pooled over paraphrases, orderings
and samples (and over a configuration's replicas).

Why its own module: the summary is computed from results.jsonl alone (a resumed or copied run
summarises the same), and the report draws from the same rows. A measure is one of a record's
`values` (readouts.py): an option's text, a category, `expected_value`, ... Columns: battery,
question, readout, configuration (the replica group, else the name), measure, mean, sd (sample
sd, n - 1), n (records pooled), ci_low, ci_high (t-based 95% interval of the mean: mean -+
t(0.975, n - 1) sd / sqrt(n); empty for n = 1), runs (the configuration names pooled).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .stats import Estimate, estimate

SUMMARY_FILE = "summary.csv"
COLUMNS = ("battery", "question", "readout", "configuration", "measure", "mean", "sd", "n", "ci_low",
           "ci_high", "runs")


@dataclass(frozen=True)
class SummaryRow:
    battery: str
    question: str
    readout: str
    configuration: str
    measure: str
    estimate: Estimate
    runs: tuple[str, ...]


def _value(value: Any) -> float:
    return math.nan if value is None else float(value)


def summarise(records: Iterable[dict[str, Any]]) -> list[SummaryRow]:
    """Rows in first-seen order of question, then configuration, then measure."""
    groups: dict[tuple[str, str, str, str, str], list[float]] = {}
    runs: dict[tuple[str, str, str, str, str], dict[str, None]] = {}
    for record in records:
        configuration = record["configuration"]
        for measure, value in record["values"].items():
            key = (record["battery"], record["question"], record["readout"], configuration["group"], measure)
            groups.setdefault(key, []).append(_value(value))
            runs.setdefault(key, {})[configuration["name"]] = None
    order: dict[tuple[str, str], int] = {}
    for key in groups:
        order.setdefault(key[:2], len(order))
    keys = sorted(groups, key=lambda k: order[k[:2]])  # stable: configurations, measures as first seen
    return [SummaryRow(*key, estimate(groups[key]), tuple(runs[key])) for key in keys]


def _cell(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else repr(value)


def write_summary(rows: Iterable[SummaryRow], path: str | Path) -> None:
    with Path(path).open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for r in rows:
            e = r.estimate
            writer.writerow([r.battery, r.question, r.readout, r.configuration, r.measure, _cell(e.mean),
                             _cell(e.sd), e.n, _cell(e.low), _cell(e.high), " ".join(r.runs)])
