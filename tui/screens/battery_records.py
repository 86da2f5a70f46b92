"""The modal that shows a battery summary row's records, shared by the battery screen and the
replay of a journaled battery run.

Both read the same plain records (results.jsonl's, or the session's copy of them); the modal
shows the first RECORDS_SHOWN of the records a row pools, each as `battery_model.record_text`
writes it (the exact prompt and the per-token numbers of its answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..battery_model import ChartRow, record_text, records_of
from .text_modal import TextModal

RECORDS_SHOWN = 20  # a row's records shown in its modal (the rest are where `source` says)


def records_modal(chart: ChartRow, records: Sequence[dict[str, Any]], source: str) -> TextModal:
    """The records of `chart`'s row among `records`; `source` says where all of them are."""
    pooled = records_of(chart.row, records)
    shown = pooled[:RECORDS_SHOWN]
    summary = (f"{len(pooled)} record{'s' if len(pooled) != 1 else ''} of {chart.row.question} under "
               f"{chart.row.configuration}" + (f" (the first {len(shown)} here)" if len(shown) < len(pooled)
                                               else "") + f"; all in {source}")
    body = ("\n\n" + "─" * 40 + "\n\n").join(record_text(r) for r in shown)
    return TextModal(f"{chart.label} · {chart.row.configuration}", summary, body)
