"""Driving one Backend over a battery's items x configurations, one record per evaluation.

Why its own module: the CLI (and later the TUI's battery screen) needs one loop that plans the
work, skips what a results file already holds, switches configurations by `set_adapters` (never
a model reload; the system prompt and trigger travel with each request) and appends each record
as soon as it is complete, so Ctrl-C loses at most the evaluation in flight.

Order: configuration by configuration (one adapter switch each), then the battery's items in
file order, then free-answer samples. A free question gives one record per sample, keyed
`question/p0/o0/s3`; the sample's seed is `seed + sample index` (the same seeds under every
configuration, so configurations are compared on the same random draws).
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.backend import Backend
from engine.seeds import MAX_SEED

from . import readouts
from .configs import Configuration
from .errors import BatteryError
from .format import Battery, BatteryItem, FreeReadout, NumberReadout, OptionsReadout, TraceReadout, WordsReadout
from .results import ResultsWriter

Progress = Callable[[int, int], None]  # (done, total) among the evaluations this run performs


@dataclass(frozen=True)
class RunSettings:
    permute: bool | None = None       # None: each question's own `permute`
    samples: int | None = None        # free questions: overrides the file's `samples`
    temperature: float | None = None  # free questions: overrides the file's `temperature`
    seed: int = 0                     # free samples use seed + sample index; trace uses seed
    questions: tuple[str, ...] = ()   # only the questions whose name matches one of these globs

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"permute": self.permute, "samples": self.samples,
                                     "temperature": self.temperature, "seed": self.seed}
        if self.questions:  # only when set: a run without it keeps the fingerprint it had
            described["questions"] = list(self.questions)
        return described

    def selects(self, question: str) -> bool:
        return not self.questions or any(fnmatch.fnmatchcase(question, p) for p in self.questions)


@dataclass(frozen=True)
class Task:
    item: BatteryItem
    configuration: Configuration
    sample: int | None = None  # free questions only

    @property
    def key(self) -> str:
        return self.item.key + ("" if self.sample is None else f"/s{self.sample}")


def check_selection(battery: Battery, settings: RunSettings) -> None:
    """Refuse a `questions` glob that matches none of the battery's questions (a typo would
    otherwise run nothing, or less than meant, without a word)."""
    names = [q.name for q in battery.questions]
    for pattern in settings.questions:
        if not any(fnmatch.fnmatchcase(name, pattern) for name in names):
            raise BatteryError(f"--questions {pattern!r} matches no question of {battery.name} "
                               f"({', '.join(names)}).")


def plan(battery: Battery, configurations: Sequence[Configuration], settings: RunSettings) -> list[Task]:
    """Every evaluation of the run, in the order it runs."""
    check_selection(battery, settings)
    tasks = []
    for configuration in configurations:
        for item in battery.items(permute=settings.permute):
            if not settings.selects(item.question.name):
                continue
            readout = item.readout
            if isinstance(readout, FreeReadout):
                samples = readout.samples if settings.samples is None else settings.samples
                tasks += [Task(item, configuration, s) for s in range(samples)]
            else:
                tasks.append(Task(item, configuration))
    return tasks


def fingerprint(battery: Battery, configurations: Sequence[Configuration], settings: RunSettings,
                model_path: str) -> dict[str, Any]:
    """What makes two runs the same run (results.py refuses to resume a different one)."""
    digest = hashlib.sha256(battery.path.read_bytes()).hexdigest() if battery.path else None
    return {"battery": battery.name, "battery_path": str(battery.path) if battery.path else None,
            "battery_sha256": digest, "configurations": [c.definition() for c in configurations],
            "settings": settings.describe(), "model_path": model_path}


def _readout_fields(backend: Backend, task: Task, settings: RunSettings, system: Any, user: str) -> dict[str, Any]:
    readout = task.item.readout
    if isinstance(readout, OptionsReadout):
        return readouts.read_options(backend, task.item, system, user)
    if isinstance(readout, WordsReadout):
        return readouts.read_words(backend, readout, system, user)
    if isinstance(readout, NumberReadout):
        return readouts.read_number(backend, readout, system, user)
    if isinstance(readout, FreeReadout):
        temperature = readout.temperature if settings.temperature is None else settings.temperature
        seed = (settings.seed + (task.sample or 0)) % (MAX_SEED + 1)
        return readouts.read_free(backend, readout, system, user, temperature, seed)
    assert isinstance(readout, TraceReadout)
    return readouts.read_trace(backend, readout, system, user, settings.seed)


def evaluate(backend: Backend, task: Task, settings: RunSettings) -> dict[str, Any]:
    """One record: the item, the configuration, what was sent, and the readout's numbers."""
    item = task.item
    system, user = task.configuration.prompt(item.user_message)
    fields = _readout_fields(backend, task, settings, system, user)
    return {"key": task.key, "item_key": item.key, "battery": item.battery, "question": item.question.name,
            "readout": item.readout.kind.value, "paraphrase": item.paraphrase_index,
            "ordering": item.ordering_index, "ordering_indices": list(item.ordering), "sample": task.sample,
            "configuration": task.configuration.definition(), "system": system, "user_message": user,
            **fields, "model_path": fields["provenance"].model_path}


def run_battery(backend: Backend, tasks: Sequence[Task], writer: ResultsWriter, settings: RunSettings,
                progress: Progress | None = None) -> int:
    """Evaluate every task not in `writer.done`, appending each record; returns how many ran."""
    pending = [t for t in tasks if (t.key, t.configuration.name) not in writer.done]
    active: tuple | None = None
    for done, task in enumerate(pending):
        if progress is not None:
            progress(done, len(pending))
        if task.configuration.adapters != active:
            backend.set_adapters(task.configuration.adapters)
            active = task.configuration.adapters
        writer.append(evaluate(backend, task, settings))
    if progress is not None:
        progress(len(pending), len(pending))
    return len(pending)
