"""The runtime facts of a loaded model (engine/types.py Runtime), read from what llama.cpp says.

Some of them have no getter in llama.cpp's C API: which device each layer went to, how many
layers were offloaded, and what "auto" flash attention resolved to. llama.cpp logs them while it
loads the model and creates the context; this module reads them from those lines and puts them
together with what the API does report (llama_backend.py collects both). Text only, no llama_cpp
import, so it is tested on recorded logs of CPU and GPU loads alike.

The lines read, from the pinned llama.cpp (0.3.36's; their format strings in libllama.so):
- `load_tensors: layer %3d assigned to device %s, is_swa = %d` per layer (the output layer last)
  and `llama_kv_cache: layer %3d: dev = %s` per KV cache layer;
- `load_tensors: offloaded %d/%d layers to GPU` (only from a build that can offload; N is
  min(n_gpu_layers, M), so the placement lines above win when both are there);
- `llama_context: flash_attn = auto|enabled|disabled` (the type requested), then for auto
  `resolve_fused_ops: Flash Attention enabled` or `... Flash Attention not supported, set to
  disabled`; llama.cpp also forces it on or off for some models and cache types, and says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .types import ComputeDevice, FlashAttention, ModelConfig, Runtime

_LAYER_DEVICE = re.compile(r"load_tensors: layer\s+(\d+) assigned to device (\S+?),")
_KV_DEVICE = re.compile(r"llama_kv_cache: layer\s+\d+: dev = (\S+)")
_OFFLOADED = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")
_FLASH_REQUESTED = re.compile(r"flash_attn\s+=\s+(enabled|disabled|auto)\b")
# Messages that settle flash attention whatever was requested, and what they settle it to.
_FLASH_SETTLED = (
    (re.compile(r"Flash Attention enabled"), True),
    (re.compile(r"Flash Attention not supported, set to disabled"), False),
    (re.compile(r"enabling flash_attn since"), True),
    (re.compile(r"flash_attn is not compatible with .* forcing off"), False),
    (re.compile(r"disabling flash attention"), False),
)
_GPU_KINDS = ("gpu", "igpu")


@dataclass(frozen=True)
class LoadLog:
    """What llama.cpp's load log said about placement and flash attention."""

    layer_devices: tuple[str, ...] = ()  # the device of each layer, in layer order; () unlogged
    kv_devices: tuple[str, ...] = ()  # the device of each KV cache layer
    offloaded: tuple[int, int] | None = None  # the "offloaded N/M layers to GPU" line
    flash_attn: bool | None = None  # in effect; None when the log did not say


def read_load_log(fragments: Iterable[str]) -> LoadLog:
    """Read the lines llama.cpp logged while loading a model and creating its context."""
    layers: dict[int, str] = {}
    kv: list[str] = []
    offloaded = None
    requested: bool | None = None
    settled: bool | None = None
    for line in "".join(fragments).splitlines():
        if match := _LAYER_DEVICE.search(line):
            layers[int(match.group(1))] = match.group(2)
        elif match := _KV_DEVICE.search(line):
            kv.append(match.group(1))
        elif match := _OFFLOADED.search(line):
            offloaded = (int(match.group(1)), int(match.group(2)))
        elif match := _FLASH_REQUESTED.search(line):
            requested = {"enabled": True, "disabled": False}.get(match.group(1))
        else:
            for pattern, value in _FLASH_SETTLED:
                if pattern.search(line):
                    settled = value
    return LoadLog(layer_devices=tuple(layers[i] for i in sorted(layers)), kv_devices=tuple(kv),
                   offloaded=offloaded, flash_attn=requested if settled is None else settled)


def _in_order(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def build_runtime(config: ModelConfig, log: LoadLog, *, backends: Sequence[str],
                  devices: Sequence[ComputeDevice], can_offload: bool, n_layer: int,
                  type_k: str, type_v: str, n_batch: int, n_ubatch: int, n_threads: int,
                  n_threads_batch: int) -> Runtime:
    """The Runtime of a model loaded with `config`: the log's placement where it gave one, else
    what the request and the build imply (no GPU offload in the build: every layer on the CPU)."""
    descriptions = {d.name: d.description for d in devices}
    cpu = next((d.name for d in devices if d.kind == "cpu"), "CPU")
    if log.layer_devices:
        total = len(log.layer_devices)
        offloaded: int | None = sum(1 for name in log.layer_devices if name != cpu)
    elif log.offloaded is not None:
        offloaded, total = log.offloaded
    else:
        total = n_layer + 1
        offloaded = 0 if not can_offload or config.n_gpu_layers == 0 else None
    placed = _in_order([*log.layer_devices, *log.kv_devices])
    if not placed:  # the log did not say: what the offload count implies
        gpus = [d.name for d in devices if d.kind in _GPU_KINDS]
        on_gpu = gpus[:1] if offloaded and gpus else []
        placed = tuple(on_gpu) + ((cpu,) if not on_gpu or (offloaded or 0) < total else ())
    return Runtime(
        backends=tuple(backends),
        devices=tuple(f"{name}: {descriptions[name]}" if descriptions.get(name) else name
                      for name in placed),
        n_gpu_layers=config.n_gpu_layers,
        layers_offloaded=offloaded,
        layers_total=total,
        flash_attn=FlashAttention(config.flash_attn),
        flash_attn_in_effect=log.flash_attn,
        type_k=type_k,
        type_v=type_v,
        n_batch=n_batch,
        n_ubatch=n_ubatch,
        n_threads=n_threads,
        n_threads_batch=n_threads_batch,
    )
