"""The live compare screen's plain data: which lanes a comparison runs, and what it shows per position.

The compare screen (tui/screens/live_compare.py) sends one prompt to 2-4 configurations through
`Backend.compare` (engine/compare/) and shows the lanes side by side. Everything it shows is
computed here from the engine's CompareSteps, without Textual, so it is tested on its own and a
journaled comparison (sessions/comparisons.py) reads exactly as a live one:

- the lanes: presets ("current" = the main screen's system prompt and adapters, "base" = no
  adapters, "no system prompt", "empty system prompt") or a configs TOML file's tables
  (sessions/batteries/configs.py), each with the main screen's sampling unless its table sets one;
- what a lane on another model costs: a worker of its own, estimated from the model file's size
  before it runs, then its measured resident memory (Backend.worker_memory);
- the divergence thresholds, from the `[compare]` table of the TUI's config file;
- per position a marker (the largest JS of any pair; chosen tokens that differ), the jumps to the
  next and previous divergent position, and the inspector's rows: every token in any lane's
  top-k, one probability per lane, aligned by token id;
- a summary line per pair: mean KL both ways, positions that differ, each side's probability of
  the other's token.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.compare import CompareLane, CompareResult, CompareStep, PairSummary
from engine.compare.divergence import summarise_pairs
from engine.compare.types import MAX_LANES
from engine.process_memory import WorkerMemory
from engine.seeds import random_seed
from engine.types import (
    AdapterSpec,
    Configuration,
    SamplingSettings,
    SystemMode,
    SystemPrompt,
    TokenAlternative,
    TokenStep,
)
from engine.types import TriggerPlace as EngineTriggerPlace
from sessions.batteries.configs import Configuration as ConfigsEntry
from sessions.batteries.configs import load_configs

from .config import ConfigError
from .turn_config import adapters_label, sampling_parts, system_label

PRESETS: dict[str, str] = {
    "current": "current",
    "base": "base",
    "no-system": "no system",
    "empty-system": "empty system",
}
"""The lanes the screen offers without a configs file, by id (the lane's name): their labels.
current: the main screen's system prompt and adapters; base: the same system prompt, no
adapters; no system / empty system: the same adapters, no system message / an empty one."""


@dataclass(frozen=True)
class Thresholds:
    """When a position counts as divergent (any pair's JS, nats, in [0, ln 2]) and when strongly."""

    js: float = 0.05
    js_strong: float = 0.3


def parse_thresholds(data: dict, source: str = "the config file") -> Thresholds:
    """The `[compare]` table of the config file: `js_threshold` and `js_strong` (defaults 0.05 and
    0.3); ConfigError naming the key for anything else."""
    table = data.get("compare", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [compare] must be a table.")
    values = {"js_threshold": Thresholds.js, "js_strong": Thresholds.js_strong}
    for key, value in table.items():
        if key not in values:
            raise ConfigError(f"{source}: [compare] has an unknown key {key!r} (js_threshold, js_strong).")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= math.log(2):
            raise ConfigError(f"{source}: compare.{key} must be a number from 0 to ln 2 (0.693), not {value!r}.")
        values[key] = float(value)
    return Thresholds(values["js_threshold"], max(values["js_threshold"], values["js_strong"]))


def load_thresholds(path: str | Path) -> Thresholds:
    """The thresholds of the config file at `path` (read from disk: call it off the UI thread)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}") from exc
    return parse_thresholds(data, str(path))


# ----- lanes ------------------------------------------------------------------------------------


def shared_sampling(sampling: SamplingSettings) -> SamplingSettings:
    """The main screen's sampling with a seed: every lane draws with the same one, so two lanes
    differ by their configuration, not by their random draws."""
    return sampling if sampling.seed is not None else replace(sampling, seed=random_seed())


def default_presets(system: SystemPrompt, adapters: tuple[AdapterSpec, ...]) -> tuple[str, ...]:
    """"current" and the comparison most telling for it: the base model when adapters are on, else
    the system prompt's most telling alternative (an empty one when there is none, none otherwise)."""
    if any(a.scale != 0 for a in adapters):
        return ("current", "base")
    return ("current", "empty-system" if system.mode is SystemMode.NONE else "no-system")


def preset_lanes(keys: Sequence[str], system: SystemPrompt, adapters: tuple[AdapterSpec, ...],
                 sampling: SamplingSettings) -> tuple[CompareLane, ...]:
    """A lane per preset id, in PRESETS order: "current" (the system prompt and adapters given),
    "base" (the same system prompt, no adapters), "no-system" / "empty-system" (the adapters given,
    no system message / an empty one)."""
    made = []
    for key in PRESETS:
        if key not in keys:
            continue
        if key == "current":
            configuration = Configuration(adapters=tuple(adapters), system=system)
        elif key == "base":
            configuration = Configuration(system=system)
        else:
            configuration = Configuration(adapters=tuple(adapters),
                                          system=SystemPrompt.none() if key == "no-system" else SystemPrompt.empty())
        made.append(CompareLane(key, configuration, sampling))
    unknown = set(keys) - set(PRESETS)
    if unknown:
        raise ValueError(f"unknown lane {sorted(unknown)[0]!r}; expected one of {', '.join(PRESETS)}")
    return tuple(made)


def entry_lane(entry: ConfigsEntry, sampling: SamplingSettings) -> CompareLane:
    """A configs file's table as a lane: its adapters, system prompt, trigger and model (its own
    file, "" = the loaded one); its sampling (the table's keys over `sampling`, read with
    `sampling` as the defaults), else `sampling`."""
    configuration = Configuration(adapters=entry.adapters, system=entry.system, trigger=entry.trigger,
                                  trigger_at=EngineTriggerPlace(entry.trigger_at.value), model_path=entry.model)
    return CompareLane(entry.name, configuration, entry.sampling or sampling)


def configs_lanes(path: str, sampling: SamplingSettings,
                  resolve: Callable[[str], AdapterSpec]) -> tuple[tuple[CompareLane, ...], str]:
    """The first MAX_LANES tables of a configs TOML file as lanes, and a note when it had more
    (reads the file: call it off the UI thread). A table's `model` (relative to the file's
    folder) runs that lane on another model. Raises ConfigsError for a bad file."""
    entries = load_configs(Path(path.strip()).expanduser(), resolve, sampling_defaults=sampling, models=True)
    lanes = tuple(entry_lane(e, sampling) for e in entries[:MAX_LANES])
    note = (f"{path.strip()} has {len(entries)} configurations: comparing the first {MAX_LANES}"
            if len(entries) > MAX_LANES else "")
    return lanes, note


def _same_file(a: str, b: str) -> bool:
    return os.path.realpath(os.path.expanduser(a)) == os.path.realpath(os.path.expanduser(b))


@dataclass(frozen=True)
class OtherModel:
    """A model file some lanes run on that is not the loaded one: a worker of its own."""

    path: str
    lanes: tuple[str, ...]  # the names of the lanes on it
    file_bytes: int | None  # the file's size (the worker maps all of it); None when unreadable


def other_models(lanes: Sequence[CompareLane], loaded_model: str,
                 size: Callable[[str], int] = os.path.getsize) -> tuple[OtherModel, ...]:
    """The models other than the loaded one that `lanes` name, in lane order, each with its lanes
    and its file's size (reads the file system: call it off the UI thread)."""
    by_model: dict[str, list[str]] = {}
    for lane in lanes:
        path = lane.configuration.model_path
        if path and not _same_file(path, loaded_model):
            key = os.path.realpath(os.path.expanduser(path))
            by_model.setdefault(key, []).append(lane.name)
    out = []
    for path, names in by_model.items():
        try:
            file_bytes: int | None = size(path)
        except OSError:
            file_bytes = None
        out.append(OtherModel(path, tuple(names), file_bytes))
    return tuple(out)


_ORDINALS = ("second", "third", "fourth", "fifth")


def _mb(n: int) -> str:
    return f"{round(n / 1e6):,} MB"


def _ordinal(n: int) -> str:
    return _ORDINALS[n] if n < len(_ORDINALS) else f"{n + 2}th"


def cost_line(models: Sequence[OtherModel]) -> str:
    """What the other models cost before they are measured: `lane there runs on other.gguf in a
    second worker (its own memory: about 98 MB, the model file)`, one clause per model."""
    clauses = []
    for n, model in enumerate(models):
        who = (f"lane {model.lanes[0]} runs" if len(model.lanes) == 1
               else f"lanes {', '.join(model.lanes)} run")
        memory = (f"about {_mb(model.file_bytes)}, the model file" if model.file_bytes is not None
                  else "at least the model file")
        clauses.append(f"{who} on {os.path.basename(model.path)} in a {_ordinal(n)} worker (its own memory: "
                       f"{memory})")
    return "; ".join(clauses)


def memory_line(workers: Sequence[WorkerMemory]) -> str:
    """The workers' measured resident memory, the extra ones first: `second worker other.gguf:
    98 MB resident; the loaded model's worker: 300 MB` ("" when no extra worker runs)."""
    extras = [w for w in workers if w.extra]
    if not extras:
        return ""

    def resident(worker: WorkerMemory) -> str:
        return _mb(worker.resident_bytes) if worker.resident_bytes is not None else "unknown"

    parts = [f"{_ordinal(n)} worker {os.path.basename(w.model_path)}: {resident(w)} resident"
             for n, w in enumerate(extras)]
    parts += [f"the loaded model's worker: {resident(w)}" for w in workers if not w.extra]
    return "; ".join(parts)


# ----- what a position shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class AlignedRow:
    """One token of the inspector: its probability in each lane (None when it is not in that
    lane's top-k) and the lanes that chose it."""

    id: int
    text: str
    probs: tuple[float | None, ...]
    chosen: tuple[bool, ...]
    piece: bytes | None = None

    @property
    def best(self) -> float:
        return max((p for p in self.probs if p is not None), default=0.0)


@dataclass
class LiveComparison:
    """A comparison as it streams: the positions so far, then its result; what the screen draws."""

    names: tuple[str, ...]
    steps: list[CompareStep] = field(default_factory=list)
    result: CompareResult | None = None
    lanes: list[list[TokenStep]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lanes = [[] for _ in self.names]
        for step in self.steps:
            self._index(step)

    @classmethod
    def finished(cls, names: Sequence[str], steps: Sequence[CompareStep], result: CompareResult) -> LiveComparison:
        return cls(tuple(names), list(steps), result)

    def add(self, steps: Sequence[CompareStep]) -> None:
        for step in steps:
            self.steps.append(step)
            self._index(step)

    def _index(self, step: CompareStep) -> None:
        for lane, token in zip(self.lanes, step.steps, strict=False):
            if token is not None:
                lane.append(token)

    @property
    def positions(self) -> int:
        return len(self.steps)

    def step(self, lane: int, position: int) -> TokenStep | None:
        if not 0 <= position < len(self.steps):
            return None
        steps = self.steps[position].steps
        return steps[lane] if lane < len(steps) else None

    def max_js(self, position: int) -> float:
        return max((p.js for p in self.steps[position].pairs), default=0.0)

    def differ(self, position: int) -> bool:
        return any(p.differ for p in self.steps[position].pairs)

    def divergent(self, position: int, thresholds: Thresholds) -> bool:
        """Two lanes diverge here: a pair's JS above the threshold, or different chosen tokens."""
        return self.differ(position) or self.max_js(position) > thresholds.js

    def level(self, position: int, thresholds: Thresholds) -> int:
        """0 calm, 1 divergent (JS above the threshold), 2 strongly, 3 the chosen tokens differ."""
        if self.differ(position):
            return 3
        js = self.max_js(position)
        return 2 if js > thresholds.js_strong else 1 if js > thresholds.js else 0

    def first_difference(self) -> int | None:
        """The first position where two lanes chose different tokens."""
        return next((n for n in range(len(self.steps)) if self.differ(n)), None)

    def jump(self, cursor: int, direction: int, thresholds: Thresholds) -> int | None:
        """The next (direction 1) or previous (-1) divergent position from `cursor`, None if none."""
        n = cursor + direction
        while 0 <= n < len(self.steps):
            if self.divergent(n, thresholds):
                return n
            n += direction
        return None

    def summaries(self) -> tuple[PairSummary, ...]:
        """The result's pair summaries once it ended; until then, over the positions so far."""
        if self.result is not None:
            return self.result.pairs
        return summarise_pairs(len(self.names), self.steps)

    def summary_lines(self) -> list[str]:
        return [pair_line(pair, self.names) for pair in self.summaries()]

    def aligned(self, position: int) -> list[AlignedRow]:
        """Every token in any lane's top-k at `position` (and each lane's chosen token), most
        likely first (by its highest probability in any lane), with each lane's probability."""
        steps = [self.step(lane, position) for lane in range(len(self.names))]
        tokens: dict[int, TokenAlternative] = {}
        for step in steps:
            if step is None:
                continue
            for alt in step.top:
                tokens.setdefault(alt.id, alt)
            tokens.setdefault(step.id, TokenAlternative(step.id, step.text, step.logprob, step.piece))
        rows = []
        for token_id, alt in tokens.items():
            probs: list[float | None] = []
            for step in steps:
                if step is None:
                    probs.append(None)
                    continue
                own = next((a for a in step.top if a.id == token_id), None)
                probs.append(own.prob if own is not None else step.prob if step.id == token_id else None)
            chosen = tuple(step is not None and step.id == token_id for step in steps)
            rows.append(AlignedRow(token_id, alt.text, tuple(probs), chosen, alt.piece))
        rows.sort(key=lambda r: (-r.best, r.id))
        return rows


def _number(value: float, digits: int = 3) -> str:
    return "–" if math.isnan(value) else "∞" if math.isinf(value) else f"{value:.{digits}f}"


PAIR_LEGEND = "pairs a vs b: mean KL(a‖b)/KL(b‖a) · mean JS · positions that differ · mean P_a(b's token)/P_b(a's)"


def pair_line(pair: PairSummary, names: Sequence[str]) -> str:
    """`base vs pirate: KL 0.123/0.456 · JS 0.050 · 3/12 differ (first 4) · P 0.41/0.38`: the
    numbers PAIR_LEGEND names, short enough for one line with four lanes' six pairs."""
    first = f" (first {pair.first_difference})" if pair.first_difference is not None else ""
    return (f"{names[pair.a]} vs {names[pair.b]}: KL {_number(pair.mean_kl_ab)}/{_number(pair.mean_kl_ba)} · "
            f"JS {_number(pair.mean_js)} · {pair.differing}/{pair.positions} differ{first} · "
            f"P {_number(pair.mean_prob_a_of_b, 2)}/{_number(pair.mean_prob_b_of_a, 2)}")


def lane_label(lane: CompareLane, loaded_model: str = "") -> str:
    """A lane's column title: its name, then what it runs under (its model first when it names
    one other than `loaded_model`)."""
    c = lane.configuration
    parts = []
    if c.model_path and not (loaded_model and _same_file(c.model_path, loaded_model)):
        parts.append(f"model {os.path.basename(c.model_path)}")
    parts += [adapters_label(c.adapters), system_label(c.system)]
    if c.trigger:
        parts.append(f"trigger {c.trigger!r}")
    parts += sampling_parts(lane.sampling)
    return f"{lane.name} · " + " · ".join(parts)


# ----- teacher-forced on which lane ---------------------------------------------------------------


def next_forced(choice: int | None, n_lanes: int) -> int | None:
    """F3's cycle over the lanes to force on: off -> lane 1 -> lane 2 -> ... -> off (indices)."""
    if choice is None:
        return 0 if n_lanes > 0 else None
    return choice + 1 if choice + 1 < n_lanes else None


def forced_label(name: str) -> str:
    """The forced checkbox's label: `forced on base's answer (F3)`, or `forced (F3)` when off."""
    return f"forced on {name}'s answer (F3)" if name else "forced (F3)"
