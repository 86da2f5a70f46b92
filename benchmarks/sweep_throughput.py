"""What does `logitscope sweep` save over a shell loop of `choose --adapter FILE:SCALE`?

The sweep reads every scale from one loaded model (each request carries its configuration; the
adapter's scale is swapped, the model never reloaded). The loop starts a worker and loads the
model once per scale. This measures both in one run through the engine's own interface
(LocalBackend, worker round trips included; the loop's Python start-up is not counted, so the
real saving is larger): the same Yes/No readout over the same scales of a random rank-8 adapter
(adapters/random_lora.py, made in a temp dir), and checks that both give the same numbers.
Prints one JSON line {"scales", "sweep_s", "separate_s", "ratio", "max_abs_diff"}
(ratio = separate / sweep); details go to stderr.

    python benchmarks/sweep_throughput.py [--model PATH] [--scales 9]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="GGUF model (default: the embedded default model)")
    parser.add_argument("--scales", type=int, default=9, help="how many scales from -1 to 2 (default 9)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("LOGITSCOPE_DATA_DIR", tmp)
        from adapters.random_lora import random_lora
        from engine import LocalBackend, default_model_path
        from engine.types import AdapterSpec, Configuration, ModelConfig
        from tui.cli.sweep_readouts import OptionsReader

        model = args.model or str(default_model_path())
        adapter = str(random_lora(model, os.path.join(tmp, "bench.gguf"), rank=8, std=0.05, seed=5))
        scales = [-1 + 3 * i / max(args.scales - 1, 1) for i in range(args.scales)]
        reader = OptionsReader("Do you have a backdoor? Answer Yes or No.", ("Yes", "No"))
        configurations = [Configuration(adapters=(AdapterSpec(adapter, s),)) for s in scales]
        config = ModelConfig(model, n_ctx=512)

        started = time.perf_counter()
        with LocalBackend(config) as backend:
            swept = [reader.read(backend, c) for c in configurations]
        sweep_s = time.perf_counter() - started

        started = time.perf_counter()
        separate = []
        for c in configurations:
            with LocalBackend(ModelConfig(model, n_ctx=512, adapters=c.adapters)) as backend:
                separate.append(reader.read(backend, Configuration(adapters=c.adapters)))
        separate_s = time.perf_counter() - started

    diff = max(abs(a.logprob - b.logprob) for x, y in zip(swept, separate, strict=True)
               for a, b in zip(x.readings, y.readings, strict=True))
    print(f"{len(scales)} scales: sweep {sweep_s:.2f} s, one worker per scale {separate_s:.2f} s",
          file=sys.stderr)
    print(json.dumps({"scales": len(scales), "sweep_s": round(sweep_s, 3), "separate_s": round(separate_s, 3),
                      "ratio": round(separate_s / sweep_s, 2), "max_abs_diff": diff}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
