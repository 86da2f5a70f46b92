"""How much cheaper is switching a LoRA adapter than reloading the model?

Hot-swap is the point of keeping adapters separate from the model: turning an adapter on, off
or to another scale between two generations must cost milliseconds, not a reload. This measures,
through the engine's own interface (LocalBackend, worker round trip included):
- swap: `set_adapters` alternating between the adapter and none (each call activates the new
  set with `llama_set_adapters_lora` and clears the KV cache so the next request starts clean),
  median over many swaps after the adapter has been loaded once;
- reload: `backend.load(config)` of the same model, median over a few reloads.
Prints one JSON line {"swap_ms", "reload_ms", "ratio"} (ratio = reload / swap). Uses the default
model and a random rank-16 adapter on every projection (adapters/random_lora.py), made in a temp
dir; details go to stderr.

    python benchmarks/adapter_swap.py [--model PATH] [--swaps 60] [--reloads 7] [--n-gpu-layers N] [--threads N]

The JSON also records the offload and thread count used (benchmarks/device_flags.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from device_flags import add_device_flags, device_flags


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="GGUF model (default: the embedded default model)")
    parser.add_argument("--swaps", type=int, default=60)
    parser.add_argument("--reloads", type=int, default=7)
    add_device_flags(parser)
    args = parser.parse_args()
    flags = device_flags(args)

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("LOGITSCOPE_DATA_DIR", tmp)
        from adapters.random_lora import random_lora
        from engine import LocalBackend, default_model_path
        from engine.types import AdapterSpec

        model = args.model or str(default_model_path())
        adapter = random_lora(model, Path(tmp) / "random-r16.gguf", rank=16, std=0.02, seed=0)
        config = flags.model_config(model)  # the CLI's default context (4096)
        with LocalBackend(config) as backend:
            backend.start()
            device = flags.record(backend)
            ids = backend.tokenize("The quick brown fox jumps over the lazy dog.")
            backend.logits(ids)
            spec = (AdapterSpec(str(adapter), 1.0),)
            started = time.perf_counter()
            backend.set_adapters(spec)  # first use: validation + llama_adapter_lora_init
            first_ms = (time.perf_counter() - started) * 1000
            backend.set_adapters(())
            swaps = []
            for i in range(args.swaps):
                backend.logits(ids)  # a request in between, so there is a KV cache to reset
                target = spec if i % 2 == 0 else ()
                started = time.perf_counter()
                backend.set_adapters(target)
                swaps.append((time.perf_counter() - started) * 1000)
            noops = []  # same set again: the worker round trip alone, no llama.cpp call
            for _ in range(20):
                started = time.perf_counter()
                backend.set_adapters(backend.config.adapters)
                noops.append((time.perf_counter() - started) * 1000)
            reloads = []
            for _ in range(args.reloads):
                started = time.perf_counter()
                backend.load(config)
                reloads.append((time.perf_counter() - started) * 1000)
                backend.logits(ids)
        swap_ms, reload_ms = statistics.median(swaps), statistics.median(reloads)
        print(f"first adapter load (validate + init): {first_ms:.1f} ms; swaps min/max "
              f"{min(swaps):.2f}/{max(swaps):.2f} ms; worker round trip (no-op set) "
              f"{statistics.median(noops):.2f} ms; reloads min/max {min(reloads):.0f}/{max(reloads):.0f} ms",
              file=sys.stderr)
        print(json.dumps({"swap_ms": round(swap_ms, 3), "reload_ms": round(reload_ms, 1),
                          "ratio": round(reload_ms / swap_ms, 1), **device}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
