"""`DIR/results.jsonl` and `DIR/run.json`: a run's records, appended as each completes, and resuming.

Why its own module: a battery run can take hours and is stopped with Ctrl-C; what is done must
survive (each record is one line, flushed and fsynced as it completes) and the same command must
carry on where it stopped, but only if it is the same run. `run.json` holds the run's
fingerprint (the battery file's SHA-256, every configuration's definition, the run settings);
a later run into the same folder with another fingerprint is refused unless `restart` (which
starts the results file afresh). A torn last line (a kill mid-write) is dropped on resume.

Records are encoded by the `encode` callable the caller passes (the CLI's jsonout.to_jsonable:
engine dataclasses as objects, non-finite numbers null), then written as standard JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import BatteryError

RESULTS_FILE = "results.jsonl"
MANIFEST_FILE = "run.json"

Encoder = Callable[[Any], Any]


class RunMismatchError(BatteryError):
    title = "Different run in this folder"


def record_id(record: dict[str, Any]) -> tuple[str, str]:
    """What resuming compares: the record's key and configuration name."""
    return record["key"], record["configuration"]["name"]


def read_results(path: str | Path) -> list[dict[str, Any]]:
    """Every complete record of a results file, in order (a torn last line is left out)."""
    return list(_records(Path(path)))


def _records(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as file:
        for line in file:
            if not line.endswith("\n"):
                return  # torn by a kill mid-write
            if line.strip():
                yield json.loads(line)


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [key for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


class ResultsWriter:
    """Opens DIR for a run: checks the fingerprint, knows what is done, appends records."""

    def __init__(self, folder: str | Path, fingerprint: dict[str, Any], encode: Encoder,
                 restart: bool = False) -> None:
        self.folder = Path(folder)
        self.path = self.folder / RESULTS_FILE
        self.encode = encode
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = self.folder / MANIFEST_FILE
        fingerprint = json.loads(json.dumps(encode(fingerprint), allow_nan=False))
        if not manifest.exists() and self.path.exists() and not restart:
            raise RunMismatchError(f"{self.path} exists but {manifest.name} (the run it belongs to) does not; "
                                   "use another --out folder, or --restart to discard its results")
        if manifest.exists() and not restart:
            old = json.loads(manifest.read_text(encoding="utf-8"))
            if old != fingerprint:
                raise RunMismatchError(
                    f"{self.folder} holds a run with another {', '.join(_differences(old, fingerprint))}; "
                    "use another --out folder, or --restart to discard its results")
        if restart or not manifest.exists():
            self.path.unlink(missing_ok=True)
            manifest.write_text(json.dumps(fingerprint, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        self.records = read_results(self.path)
        self._rewrite_without_torn_line()
        self.done = {record_id(r) for r in self.records}

    def _rewrite_without_torn_line(self) -> None:
        if self.path.exists() and self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n"):
            text = self.path.read_text(encoding="utf-8")
            self.path.write_text(text[: text.rfind("\n") + 1], encoding="utf-8")

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(self.encode(record), ensure_ascii=False, allow_nan=False) + "\n"
        with self.path.open("a", encoding="utf-8") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())
        plain = json.loads(line)
        self.records.append(plain)
        self.done.add(record_id(plain))
