"""Read a PEFT LoRA folder (adapter_config.json + adapter_model.safetensors) as numpy pairs.

llama.cpp applies one `adapter.lora.alpha` to every tensor (scale = alpha / rank), while PEFT
can scale modules differently (rank_pattern, alpha_pattern, rsLoRA's alpha / sqrt(r)). Reading
folds each module's difference into its lora_B, so one shared alpha reproduces PEFT exactly.
Formats llama.cpp's LoRA cannot hold (DoRA, LoRA biases, embedding LoRA, fan_in_fan_out) are
refused with a message instead of converting into something subtly different.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from .errors import AdapterToolError
from .safetensors_file import SafetensorsError, read_safetensors

_PEFT_PREFIX = "base_model.model."


def _pattern_value(module: str, patterns: dict, default):
    """PEFT's rule for rank_pattern / alpha_pattern keys: a regex matching the module's tail."""
    for key, value in (patterns or {}).items():
        if re.match(rf"(.*\.)?({key})$", module):
            return value
    return default


def load_peft_pairs(peft_dir: str | Path) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], float, dict]:
    """Read a PEFT LoRA folder: (module -> (A, B scaled for one shared alpha), alpha, config)."""
    folder = Path(peft_dir)
    config_file = folder / "adapter_config.json"
    weights_file = folder / "adapter_model.safetensors"
    if not config_file.is_file():
        raise AdapterToolError(f"{folder} has no adapter_config.json; is it a PEFT adapter folder?")
    if not weights_file.is_file():
        raise AdapterToolError(f"{folder} has no adapter_model.safetensors (old .bin adapters are not read).")
    config = json.loads(config_file.read_text())
    if str(config.get("peft_type", "LORA")).upper() != "LORA":
        raise AdapterToolError(f"{folder} is a {config.get('peft_type')} adapter; only LoRA converts.")
    for flag, what in (("use_dora", "DoRA"), ("fan_in_fan_out", "fan_in_fan_out layers")):
        if config.get(flag):
            raise AdapterToolError(f"{folder} uses {what}, which llama.cpp's LoRA format cannot hold.")
    if config.get("lora_bias"):
        raise AdapterToolError(f"{folder} trains LoRA biases, which llama.cpp's LoRA format cannot hold.")
    try:
        raw = read_safetensors(weights_file)
    except SafetensorsError as exc:
        raise AdapterToolError(str(exc)) from exc

    r0, alpha0 = int(config["r"]), float(config.get("lora_alpha", config["r"]))
    rslora = bool(config.get("use_rslora"))

    def scaling(r: int, a: float) -> float:
        return a / math.sqrt(r) if rslora else a / r

    shared_alpha = scaling(r0, alpha0) * r0  # llama.cpp: alpha / r == PEFT's scaling for default modules
    parts: dict[str, dict[str, np.ndarray]] = {}
    for key, array in raw.items():
        match = re.fullmatch(r"(.+)\.lora_([AB])(?:\.[^.]+)?\.weight", key)
        if not match:
            raise AdapterToolError(
                f"{folder}: unsupported tensor {key} (only lora_A/lora_B of linear layers convert)."
            )
        module = match.group(1).removeprefix(_PEFT_PREFIX)
        parts.setdefault(module, {})[match.group(2)] = array
    pairs = {}
    for module, ab in parts.items():
        if set(ab) != {"A", "B"}:
            raise AdapterToolError(f"{folder}: {module} has only lora_{''.join(ab)}.")
        a, b = ab["A"].astype(np.float32), ab["B"].astype(np.float32)
        r = a.shape[0]
        alpha = float(_pattern_value(module, config.get("alpha_pattern"), alpha0))
        want = scaling(int(_pattern_value(module, config.get("rank_pattern"), r0)), alpha)
        factor = want * r / shared_alpha
        pairs[module] = (a, b if factor == 1.0 else b * np.float32(factor))
    return pairs, shared_alpha, config
