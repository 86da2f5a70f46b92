"""`DIR/summary.csv`: each question x configuration x measure pooled over paraphrases, orderings
and samples (and over a configuration's replicas).

Why its own module: the summary is computed from results.jsonl alone (a resumed or copied run
summarises the same), and the report draws from the same rows. A measure is one of a record's
`values` (readouts.py): an option's text, a category, `expected_value`, ... Columns: battery,
question, readout, configuration (the replica group, else the name), measure, mean, sd (sample
sd, n - 1), n (records pooled), ci_low, ci_high (t-based 95% interval of the mean: mean -+
t(0.975, n - 1) sd / sqrt(n), cut to the range the measure can take (`measure_bounds`: a
probability's [0, 1], an expected value's the question's integer range); empty for n = 1),
runs (the configuration names pooled).
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


UNBOUNDED = (0.0, math.inf)
# spreads and entropies (a remote engine's top-k + rest bound too); every other measure is a probability
_NON_NEGATIVE = {"sd", "mean_entropy", "mean_entropy_topk_rest"}


def measure_bounds(readout: str, measure: str, numbers: Iterable[str] = ()) -> tuple[float, float]:
    """The values a measure can take: a number question's expected value lies in its integer
    range, an sd or an entropy is >= 0, everything else (option and category probabilities, mass,
    top-1 mass) in [0, 1]."""
    if readout == "number" and measure == "expected_value":
        values = [float(v) for v in numbers]
        return (min(values), max(values)) if values else (-math.inf, math.inf)
    if measure in _NON_NEGATIVE:
        return UNBOUNDED
    return (0.0, 1.0)


def summarise(records: Iterable[dict[str, Any]]) -> list[SummaryRow]:
    """Rows in first-seen order of question, then configuration, then measure."""
    groups: dict[tuple[str, str, str, str, str], list[float]] = {}
    runs: dict[tuple[str, str, str, str, str], dict[str, None]] = {}
    numbers: dict[str, Iterable[str]] = {}
    for record in records:
        if isinstance(record.get("numbers"), dict):
            numbers.setdefault(record["question"], tuple(record["numbers"]))
        configuration = record["configuration"]
        for measure, value in record["values"].items():
            key = (record["battery"], record["question"], record["readout"], configuration["group"], measure)
            groups.setdefault(key, []).append(_value(value))
            runs.setdefault(key, {})[configuration["name"]] = None
    order: dict[tuple[str, str], int] = {}
    for key in groups:
        order.setdefault(key[:2], len(order))
    keys = sorted(groups, key=lambda k: order[k[:2]])  # stable: configurations, measures as first seen
    return [SummaryRow(*key, estimate(groups[key], bounds=measure_bounds(key[2], key[4], numbers.get(key[1], ()))),
                       tuple(runs[key])) for key in keys]


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
