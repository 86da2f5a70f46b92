"""The --n-gpu-layers and --threads flags the engine benchmarks share, and the record they print.

A ratio means something only when both of its sides ran with the same offload and the same
thread count. Each benchmark resolves the two once (a thread count not given becomes
engine/threads.py's `default_thread_count()`, the engine's own default), hands the same values
to the raw llama-cpp-python loop and to the engine's ModelConfig, and prints them in its JSON
with what the worker's llama.cpp build says it can offload to, so a number says which backend
made it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from engine.threads import default_thread_count
from engine.types import ModelConfig

THREADS_DEFAULT = "default_thread_count() (engine/threads.py)"


@dataclass(frozen=True)
class DeviceFlags:
    n_gpu_layers: int  # -1 = all
    threads: int  # resolved: what llama.cpp computes with on both sides
    threads_from: str  # "--threads" or THREADS_DEFAULT

    def model_config(self, model_path: str, **fields: Any) -> ModelConfig:
        """The engine's configuration with these values (other fields as given or defaulted)."""
        return ModelConfig(model_path, n_gpu_layers=self.n_gpu_layers, n_threads=self.threads, **fields)

    def record(self, backend: Any = None) -> dict[str, Any]:
        """The values used, for the JSON; with `backend` (a LocalBackend), what its build offers."""
        out: dict[str, Any] = {"n_gpu_layers": self.n_gpu_layers, "threads": self.threads,
                               "threads_from": self.threads_from}
        if backend is not None:
            info = backend.system_info()
            out["backends"] = list(info.backends)
            out["gpu_offload"] = info.gpu_offload
            out["gpu_devices"] = [d.description or d.name for d in info.devices if d.kind in ("gpu", "igpu")]
            if self.n_gpu_layers and not info.gpu_offload:
                out["device_note"] = "this llama.cpp build cannot offload: every layer ran on the CPU"
        return out


def add_device_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n-gpu-layers", type=int, default=0,
                        help="layers offloaded to the GPU on both sides of the ratio; -1 = all (default 0)")
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads on both sides (default: the engine's, engine/threads.py)")


def device_flags(args: argparse.Namespace) -> DeviceFlags:
    if args.threads is not None and args.threads < 1:
        raise SystemExit("--threads must be 1 or more")
    if args.n_gpu_layers < -1:
        raise SystemExit("--n-gpu-layers must be -1 (all) or 0 or more")
    if args.threads is None:
        return DeviceFlags(args.n_gpu_layers, default_thread_count(), THREADS_DEFAULT)
    return DeviceFlags(args.n_gpu_layers, args.threads, "--threads")
