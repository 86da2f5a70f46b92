"""Settings for the TUI, read once from the TOML config file and passed into the App.

The file lives in the platformdirs config dir (`engine.locations.config_path()`; the
LOGITSCOPE_CONFIG environment variable names another). Example:

    [keymap]            # binding id = "key[,key...]"
    cycle_tint = "f7,ctrl+k"
    regenerate = "f8,ctrl+g"

    [ui]
    tint = "entropy"    # probability | entropy | rank
    top_k_probs = 10

    [explore]           # what the jump keys (shift+→ / shift+←) stop at
    entropy_above = 2.0 # nats
    prob_below = 0.2    # the chosen token's probability
    expand_top = 3      # expand (ctrl+e): the top-N alternatives at the cursor (1 to 20)
    expand_depth = 8    # expand: tokens generated greedily after each (1 to 256)

    [models]
    folders = ["~/models"]  # also list the *.gguf below these in the model panel (F5)
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import EngineError
from engine.locations import config_path

from .jumps import JumpThresholds

TINT_MODES = ("probability", "entropy", "rank")


class ConfigError(EngineError):
    """The config file exists but cannot be used; the message says which part and why."""

    title = "Config file problem"


@dataclass(frozen=True)
class Settings:
    keymap: dict[str, str] = field(default_factory=dict)
    tint: str = "probability"
    top_k_probs: int = 10
    source: str = ""  # the file these came from, for the help screen
    explore: JumpThresholds = JumpThresholds()  # the jump keys' thresholds
    expand_top: int = 3  # expand (ctrl+e): how many of the cursor's top alternatives
    expand_depth: int = 8  # expand: how many tokens each grows, greedy
    model_folders: tuple[str, ...] = ()  # [models] folders: more places the model panel lists GGUFs from

    def key_for(self, binding_id: str, default: str) -> str:
        return self.keymap.get(binding_id, default)


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file; a missing file gives the defaults."""
    path = path or config_path()
    if not path.is_file():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}") from exc
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise ConfigError(f"{path}: [keymap] must map binding ids to key strings.")
    ui = data.get("ui", {})
    tint = ui.get("tint", "probability")
    if tint not in TINT_MODES:
        raise ConfigError(f"{path}: ui.tint must be one of {', '.join(TINT_MODES)}, not {tint!r}.")
    top_k = ui.get("top_k_probs", 10)
    if not isinstance(top_k, int) or not 1 <= top_k <= 100:
        raise ConfigError(f"{path}: ui.top_k_probs must be an integer from 1 to 100.")
    top, depth = parse_expand(data, str(path))
    return Settings(dict(keymap), tint, top_k, str(path), parse_explore(data, str(path)), top, depth,
                    parse_model_folders(data, str(path)))


def parse_model_folders(data: dict, source: str = "the config file") -> tuple[str, ...]:
    """`[models] folders`: a list of folder paths (`~` allowed); ConfigError for anything else."""
    table = data.get("models", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [models] must be a table.")
    unknown = sorted(set(table) - {"folders"})
    if unknown:
        raise ConfigError(f"{source}: [models] has an unknown key {unknown[0]!r} (folders).")
    folders = table.get("folders", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) and f.strip() for f in folders):
        raise ConfigError(f"{source}: models.folders must be a list of folder paths, not {folders!r}.")
    return tuple(folders)


EXPLORE_LIMITS = {"entropy_above": (0.0, math.inf), "prob_below": (0.0, 1.0)}
EXPAND_LIMITS = {"expand_top": (1, 20), "expand_depth": (1, 256)}  # integers, bounds included


def parse_expand(data: dict, source: str = "the config file") -> tuple[int, int]:
    """`expand_top` (1 to 20; default 3) and `expand_depth` (1 to 256; default 8) of the
    `[explore]` table; ConfigError naming the key for anything but an integer in range."""
    table = data.get("explore", {})
    values = {"expand_top": Settings.expand_top, "expand_depth": Settings.expand_depth}
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [explore] must be a table.")
    for key, (low, high) in EXPAND_LIMITS.items():
        value = table.get(key, values[key])
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{source}: explore.{key} must be an integer from {low} to {high}, not {value!r}.")
        values[key] = value
    return values["expand_top"], values["expand_depth"]


def parse_explore(data: dict, source: str = "the config file") -> JumpThresholds:
    """The `[explore]` table: `entropy_above` (nats, 0 or more; default 2.0) and `prob_below`
    (0 to 1; default 0.2); ConfigError naming the key for anything else."""
    table = data.get("explore", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [explore] must be a table.")
    values = {"entropy_above": JumpThresholds.entropy_above, "prob_below": JumpThresholds.prob_below}
    for key, value in table.items():
        if key in EXPAND_LIMITS:
            continue  # parse_expand's
        if key not in EXPLORE_LIMITS:
            known = ", ".join([*EXPLORE_LIMITS, *EXPAND_LIMITS])
            raise ConfigError(f"{source}: [explore] has an unknown key {key!r} ({known}).")
        low, high = EXPLORE_LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high \
                or math.isinf(value):
            bounds = "0 or more" if math.isinf(high) else f"from {low:g} to {high:g}"
            raise ConfigError(f"{source}: explore.{key} must be a number {bounds}, not {value!r}.")
        values[key] = float(value)
    return JumpThresholds(values["entropy_above"], values["prob_below"])
