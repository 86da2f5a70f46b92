"""The battery screen's plain data: which configurations a run compares, where it writes, the rows
it charts and the text of one record.

The battery screen (tui/screens/battery.py) runs sessions.batteries' runner; what it shows is
computed here from summary.py's rows and results.jsonl's records (plain JSON), so it is tested
without Textual and reads a finished run exactly as the CLI's report does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.types import AdapterSpec, SystemPrompt
from sessions.batteries.configs import Configuration, load_configs
from sessions.batteries.report import nice_ceiling
from sessions.batteries.summary import SummaryRow


def run_folder(data: Path, battery: str, now: datetime | None = None) -> Path:
    """`<data dir>/batteries/<battery>-<time>/`: one folder per run started from the TUI."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return data / "batteries" / f"{battery}-{stamp}"


def battery_configurations(system: SystemPrompt, adapters: tuple[AdapterSpec, ...], current: bool = True,
                           base: bool = False, configs_path: str = "",
                           resolve: Callable[[str], AdapterSpec] | None = None) -> tuple[Configuration, ...]:
    """A configs TOML file's configurations when a path is given (`resolve` names adapters);
    else "current" (the main screen's system prompt and adapters) and/or "base" (the same system
    prompt, no adapters). Raises ConfigsError for a bad file, ValueError when none is chosen."""
    if configs_path.strip():
        if resolve is None:
            raise ValueError("a configs file needs an adapter resolver")
        return load_configs(Path(configs_path.strip()).expanduser(), resolve)
    made = []
    if current:
        made.append(Configuration("current", tuple(adapters), system))
    if base:
        made.append(Configuration("base", (), system))
    if not made:
        raise ValueError("Choose at least one configuration (current, base) or a configs file.")
    return tuple(made)


@dataclass(frozen=True)
class ChartRow:
    """One summary row with the axis its bar is drawn on: [0, 1] for probabilities and masses, the
    question's range for a number's expected value and sd, a round ceiling for entropies."""

    row: SummaryRow
    axis_max: float

    @property
    def label(self) -> str:
        return f"{self.row.question} · {self.row.measure}"


def _number_range(records: Sequence[dict[str, Any]], question: str) -> float | None:
    for record in records:
        if record.get("question") == question and isinstance(record.get("numbers"), dict):
            values = [float(k) for k in record["numbers"]]
            return max(values) if values else None
    return None


def chart_rows(rows: Sequence[SummaryRow], records: Sequence[dict[str, Any]]) -> list[ChartRow]:
    charted = []
    for row in rows:
        axis = 1.0
        if row.measure in ("expected_value", "sd") and row.readout == "number":
            axis = _number_range(records, row.question) or 1.0
        elif row.measure == "mean_entropy":
            tops = [r.estimate.high if r.estimate.high is not None else r.estimate.mean for r in rows
                    if r.measure == row.measure]
            axis = nice_ceiling(max((t for t in tops if math.isfinite(t)), default=1.0))
        charted.append(ChartRow(row, axis))
    return charted


def records_of(row: SummaryRow, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records a summary row pools: its question under its configuration (or replica group)."""
    return [r for r in records if r.get("question") == row.question
            and r.get("configuration", {}).get("group") == row.configuration]


def _token_numbers(logprob: float | None) -> str:
    if logprob is None:  # -inf (a masked token) is null in results.jsonl
        return "logprob -inf p 0"
    return f"logprob {logprob:.4f} p {math.exp(logprob):.4f}"


def _tokens(ids: Sequence[int], logprobs: Sequence[float | None], texts: Sequence[str] | None) -> str:
    """`'A' (id 49): logprob -0.0123 p 0.9878` per token; `id 49: ...` when the record has no
    token texts (written before them, or by a backend that could not tell)."""
    if texts is not None and len(texts) == len(ids):
        names = [f"{text!r} (id {i})" for text, i in zip(texts, ids, strict=True)]
    else:
        names = [f"id {i}" for i in ids]
    return ", ".join(f"{name}: {_token_numbers(lp)}" for name, lp in zip(names, logprobs, strict=False))


def record_text(record: dict[str, Any]) -> str:
    """One record as the modal shows it: what was sent (the exact rendered prompt and its token
    ids) and the per-token numbers of its answer: for a choice, each option's tokens with their
    logprobs (then the end-of-turn tokens); for a generation, the answer's tokens."""
    provenance = record.get("provenance") or {}
    system = record.get("system") or {}
    lines = [
        f"record {record.get('key')} · configuration {record.get('configuration', {}).get('name')} · "
        f"readout {record.get('readout')}",
        f"system: {system.get('mode', '?')}" + (f" {system.get('text')!r}" if system.get("text") else ""),
        f"model: {record.get('model_path')}",
        "",
        "exact prompt (rendered with the chat template):",
        str(provenance.get("rendered_prompt", "")),
        f"prompt token ids ({len(record.get('prompt_token_ids', []))}): {record.get('prompt_token_ids', [])}",
        "",
    ]
    if "options" in record:
        lines.append(f"options ({record.get('mode')} answers; mass {record.get('mass', math.nan):.6f}):")
        for option in record["options"]:
            lines.append(f"  {option['text']!r}: logprob {option['logprob']:.4f} · raw {option['raw_prob']:.6f} "
                         f"· normalised {option['prob']:.4f}")
            lines.append("    tokens: " + _tokens(option["token_ids"], option["token_logprobs"],
                                                 option.get("token_texts")))
            if option.get("end_token_ids"):
                lines.append("    end of turn: " + _tokens(option["end_token_ids"], option["end_token_logprobs"],
                                                      option.get("end_token_texts")))
    if "answer" in record:
        lines.append(f"answer ({record.get('finish_reason')}): {record['answer']!r}")
        lines.append("  tokens: " + _tokens(record.get("answer_token_ids", []), record.get("answer_token_logprobs", []),
                                            record.get("answer_token_texts")))
        if "entropy" in record:
            lines.append("  entropy per position: " + ", ".join(f"{e:.3f}" for e in record["entropy"]))
            lines.append("  top-1 mass per position: " + ", ".join(f"{p:.3f}" for p in record["top1_mass"]))
    lines.append("")
    lines.append("values: " + ", ".join(f"{k} {v if v is None else round(v, 6)}" for k, v in record["values"].items()))
    return "\n".join(lines)
