"""A battery run journaled in a session: one checked line holding everything it produced.

Why its own record type: a battery run (the TUI's battery screen) is not a turn with one request
and one result, but many evaluations under several configurations. Its session line keeps what
the run folder holds (the fingerprint of run.json, the summary rows of summary.csv and every
record of results.jsonl, as plain JSON), so the run replays from the session alone, without
the folder and without a model. The line has the turn lines' layout (sessions/format.py): a
head, then `"crc32"` and last the bulk, here `"records"`, parsed only when the run is first
looked at. docs/session-format.md documents it; a reader that predates it skips the line and
reports an unknown record type, and loses nothing else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .batteries.summary import SummaryRow
from .codec import decode, encode
from .format import check_line, checked_line
from .lazy_records import DescribedRecords

RECORD_TYPE = "battery"
_PREFIX = b'{"type":"battery"'
_RECORDS_KEY = b',"records":'


@dataclass(frozen=True)
class BatteryRun:
    """A finished, stopped or failed battery run. `fingerprint` is what `runner.fingerprint`
    returns as run.json holds it (battery name, path and SHA-256, every configuration's
    definition, the run settings, the model path); `records` are results.jsonl's records."""

    id: str
    created: str  # ISO 8601, UTC, when the run ended
    battery: str
    battery_sha256: str | None  # None for a battery that has no file
    fingerprint: dict[str, Any]
    folder: str  # the run folder (results.jsonl, run.json, summary.csv, report.html)
    stopped: bool = False  # stopped by the user after the evaluation in flight
    error: str = ""  # the error that ended it ("" unless it failed)
    summary: tuple[SummaryRow, ...] = ()
    records: tuple[dict[str, Any], ...] = ()

    @property
    def configurations(self) -> tuple[str, ...]:
        """The configurations' names, in the order they ran."""
        return configuration_names(self.fingerprint)

    @property
    def status(self) -> str:
        return run_status(self.stopped, self.error)

    def describe(self) -> str:
        """One line: "battery backdoor: 48 records under current, base; stopped"."""
        return describe(self.battery, len(self.records), self.configurations, self.stopped, self.error)


def new_battery_run(fingerprint: dict[str, Any], folder: str, records: Sequence[dict[str, Any]],
                    summary: Sequence[SummaryRow], *, stopped: bool = False, error: str = "") -> BatteryRun:
    """A run that just ended, with a new id and the time now; the battery's name and SHA-256
    come from its fingerprint."""
    from .journal import new_turn_id, utc_now  # the journal imports this module

    return BatteryRun(id=new_turn_id(), created=utc_now(), battery=str(fingerprint.get("battery", "")),
                      battery_sha256=fingerprint.get("battery_sha256"), fingerprint=dict(fingerprint),
                      folder=folder, stopped=stopped, error=error, summary=tuple(summary),
                      records=tuple(records))


def configuration_names(fingerprint: dict[str, Any]) -> tuple[str, ...]:
    configurations = fingerprint.get("configurations") if isinstance(fingerprint, dict) else None
    return tuple(str(c.get("name", "?")) for c in configurations or () if isinstance(c, dict))


def run_status(stopped: bool, error: str) -> str:
    return f"failed: {error}" if error else "stopped" if stopped else "finished"


def describe(battery: str, records: int, configurations: Sequence[str], stopped: bool, error: str) -> str:
    under = f" under {', '.join(configurations)}" if configurations else ""
    return (f"battery {battery}: {records} record{'s' if records != 1 else ''}{under}; "
            f"{run_status(stopped, error)}")


def _plain(value: Any) -> Any:
    """JSON data as results.jsonl writes it: a number that is not finite becomes null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def battery_line(run: BatteryRun) -> bytes:
    """One complete line (newline included) for `run`."""
    meta = {
        "type": RECORD_TYPE,
        "id": run.id,
        "created": run.created,
        "battery": run.battery,
        "battery_sha256": run.battery_sha256,
        "folder": run.folder,
        "stopped": run.stopped,
        "error": run.error,
        "n_records": len(run.records),
        "fingerprint": _plain(run.fingerprint),
        "summary": encode(run.summary),
    }
    return checked_line(meta, "records", _plain(list(run.records)))


@dataclass
class BatteryRunEntry:
    """A battery line that passed its checks; its records are parsed only when first asked for."""

    line: int
    meta: dict[str, Any]
    records_raw: bytes | memoryview

    def describe(self) -> str:
        """The run's one-line description, from its head alone (its records are not parsed)."""
        meta = self.meta
        return describe(str(meta["battery"]), int(meta.get("n_records", 0)),
                        configuration_names(meta.get("fingerprint") or {}),
                        bool(meta.get("stopped")), str(meta.get("error") or ""))

    def decode(self) -> BatteryRun:
        records = json.loads(bytes(self.records_raw))
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError("a battery run's records are not a list of objects")
        meta = self.meta
        return BatteryRun(
            id=str(meta["id"]), created=str(meta.get("created", "")), battery=str(meta["battery"]),
            battery_sha256=meta.get("battery_sha256"), fingerprint=dict(meta.get("fingerprint") or {}),
            folder=str(meta.get("folder", "")), stopped=bool(meta.get("stopped", False)),
            error=str(meta.get("error") or ""),
            summary=decode(tuple[SummaryRow, ...], meta.get("summary", [])), records=tuple(records),
        )


def is_battery_line(buf: bytes, start: int = 0, end: int | None = None) -> bool:
    return buf.startswith(_PREFIX, start, len(buf) if end is None else end)


def parse_battery(buf: bytes, number: int, start: int = 0, end: int | None = None) -> BatteryRunEntry:
    """Check the battery line `buf[start:end]` (CRC over the whole line, head parsed and its
    summary decoded); raise ValueError if it is damaged."""
    end = len(buf) if end is None else end
    meta, records_raw = check_line(buf, start, end, _RECORDS_KEY, "battery")
    if any(k not in meta for k in ("id", "battery", "summary")):
        raise ValueError("battery record lacks its id, battery or summary")
    decode(tuple[SummaryRow, ...], meta["summary"])  # a head that passed the CRC but does not decode
    return BatteryRunEntry(number, meta, records_raw)


class BatteryRunList(DescribedRecords[BatteryRunEntry, BatteryRun]):
    """A session's battery runs in file order; each is decoded from its line on first access."""


__all__ = [
    "RECORD_TYPE", "BatteryRun", "BatteryRunEntry", "BatteryRunList", "battery_line", "describe",
    "is_battery_line", "new_battery_run", "parse_battery",
]
