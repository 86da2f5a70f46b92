"""Resident memory of the engine's worker against a bare llama.cpp context on the same model.

The engine keeps its model in a worker process, with several KV sequences, token caches and the
Python around them; this measures what that costs in RSS (/proc/<pid>/status VmRSS, see
proc_memory.py) next to a bare llama-cpp-python context (raw_llama.py: model, context, batch,
nothing else) on the same model and n_ctx, each in a fresh process of its own so that they share
no pages (the model file's page-cache pages are mapped by both, and count in each one's RssFile).
Each side is read after loading the model and again after a greedy generation of --tokens.

The engine's KV cache holds kv_sequences (default 4) sequences of n_ctx cells, four times one
context's cache by design (README: `--kv-sequences`), so there are three comparisons:
- like_for_like: the engine as configured vs a bare context with the same total KV size
  (kv_sequences sequences of n_ctx cells, non-unified) and the engine's n_batch / n_ubatch;
- single_sequence: the engine with kv_sequences 1 vs a bare context of n_ctx cells with the
  engine's batch sizes: what the engine costs beyond llama.cpp when the caches are equal;
- default: the engine as configured vs the bare context llama-cpp-python makes for n_ctx by
  default (one sequence, n_batch = n_ubatch = 512): what a user sees, KV sequences included.
The target, engine overhead < 10%, is judged on the like-for-like comparisons after the generation.

The engine's worker is spawned: it re-imports the main script (this one) as `__mp_main__`, as
the `logitscope` command's worker re-imports that script, which imports tui.cli.main. This file
imports tui.cli.main too, so the worker measured here loads the modules the CLI's worker loads.

Prints one JSON object. Usage: python benchmarks/memory.py [--model PATH] [--n-ctx 4096]
    [--kv-sequences 4] [--tokens 64] [--n-gpu-layers N] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from proc_memory import SOURCE, resident_kib

import tui.cli.main  # noqa: F401  # the engine worker's imports are then the CLI worker's (see above)

PROMPT = "Write a long story about a cat."
HERE = Path(__file__).resolve().parent
TARGET = 0.10


def engine_side(model_config: Any, tokens: int) -> dict[str, Any]:
    """The worker's RSS after load and after a generation, its prompt, token count and batch sizes."""
    from engine import LocalBackend
    from engine.types import GenerationRequest, Message, SamplingSettings, SystemPrompt

    with LocalBackend(model_config) as backend:
        info = backend.start()
        (worker,) = [w for w in backend.worker_memory() if not w.extra]
        after_load = resident_kib(worker.pid)
        messages = (Message("user", PROMPT),)
        request = GenerationRequest(messages, SystemPrompt.none(), SamplingSettings(temperature=0.0, seed=0),
                                    max_tokens=tokens, top_k_probs=10)
        stream = backend.generate(request)
        steps = sum(1 for _ in stream)
        after_generation = resident_kib(worker.pid)
        assert stream.result is not None
        runtime = getattr(stream.result.provenance, "runtime", None)
        return {"after_load": after_load, "after_generation": after_generation, "n_ctx_seq": info.n_ctx,
                "tokens": steps, "prompt_ids": list(stream.result.provenance.prompt_token_ids),
                "batches": engine_batches(model_config.n_ctx, runtime)}


def engine_batches(n_ctx: int, runtime: Any) -> dict[str, Any]:
    """The engine's n_batch and n_ubatch: as its result's runtime says, else as llama_backend sets them."""
    n_batch: int | None = getattr(runtime, "n_batch", None)
    if n_batch:
        return {"n_batch": n_batch, "n_ubatch": runtime.n_ubatch, "from": "provenance.runtime"}
    from engine.llama_backend import PROMPT_BLOCK

    n_ubatch = min(PROMPT_BLOCK, n_ctx)
    n_batch = max(n_ubatch, min(512, n_ctx) // n_ubatch * n_ubatch)
    return {"n_batch": n_batch, "n_ubatch": n_ubatch, "from": "engine/llama_backend.py's rule"}


def bare_side(spec: dict[str, Any]) -> dict[str, Any]:
    """bare_context_memory.py's reading of a bare context made to `spec`, in a fresh process."""
    done = subprocess.run([sys.executable, str(HERE / "bare_context_memory.py"), json.dumps(spec)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the bare context failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(engine: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    """Both VmRSS figures (MiB), the ratio and the overhead, after load and after the generation."""
    out: dict[str, Any] = {}
    for moment in ("after_load", "after_generation"):
        mine, theirs = engine[moment]["VmRSS"], bare[moment]["VmRSS"]
        out[moment] = {"engine_mib": round(mine / 1024, 1), "bare_mib": round(theirs / 1024, 1),
                       "ratio": round(mine / theirs, 4), "overhead_pct": round((mine / theirs - 1) * 100, 1)}
    out["target_met"] = out["after_generation"]["ratio"] < 1 + TARGET
    return out


def main() -> None:
    from device_flags import add_device_flags, device_flags

    from engine import default_model_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--n-ctx", type=int, default=4096, help="one KV sequence's context (the CLI's default)")
    parser.add_argument("--kv-sequences", type=int, default=4, help="the engine's KV sequences (its default)")
    parser.add_argument("--tokens", type=int, default=64)
    add_device_flags(parser)
    args = parser.parse_args()
    flags = device_flags(args)
    model = args.model or str(default_model_path())
    n_ctx, k = args.n_ctx, args.kv_sequences

    engine = {"configured": engine_side(flags.model_config(model, n_ctx=n_ctx, kv_sequences=k), args.tokens),
              "single_sequence": engine_side(flags.model_config(model, n_ctx=n_ctx, kv_sequences=1), args.tokens)}
    first = engine["configured"]
    batches = first["batches"]
    common = {"model": model, "threads": flags.threads, "n_gpu_layers": flags.n_gpu_layers,
              "prompt_ids": first["prompt_ids"], "tokens": first["tokens"]}
    specs = {
        "like_for_like": {**common, "n_ctx": n_ctx * k, "n_seq_max": k,
                          "n_batch": batches["n_batch"], "n_ubatch": batches["n_ubatch"]},
        "single_sequence": {**common, "n_ctx": n_ctx, "n_seq_max": 1,
                            "n_batch": batches["n_batch"], "n_ubatch": batches["n_ubatch"]},
        "default": {**common, "n_ctx": n_ctx, "n_seq_max": 1, "n_batch": 512, "n_ubatch": 512},
    }
    bare = {name: bare_side(spec) for name, spec in specs.items()}
    comparisons = {
        "like_for_like": compare(engine["configured"], bare["like_for_like"]),
        "single_sequence": compare(engine["single_sequence"], bare["single_sequence"]),
        "default": compare(engine["configured"], bare["default"]),
    }
    print(json.dumps({
        "rss_source": SOURCE,
        "target": "overhead < 10%",
        "target_met": comparisons["like_for_like"]["target_met"] and comparisons["single_sequence"]["target_met"],
        "comparisons": comparisons,
        "engine": {name: {key: side[key] for key in ("after_load", "after_generation", "n_ctx_seq", "tokens")}
                   for name, side in engine.items()},
        "bare": {name: {**{key: side[key] for key in ("after_load", "after_generation", "n_ctx_seq")},
                        "n_ctx_total": specs[name]["n_ctx"], "n_seq_max": specs[name]["n_seq_max"],
                        "n_batch": specs[name]["n_batch"], "n_ubatch": specs[name]["n_ubatch"]}
                 for name, side in bare.items()},
        "n_ctx": n_ctx, "kv_sequences": k, "engine_batches": batches, "prompt_tokens": len(first["prompt_ids"]),
        **flags.record(),
        "model_file": Path(model).name,
        "notes": [
            f"The engine keeps {k} KV sequences of {n_ctx} cells (--kv-sequences), {k} x one context's KV "
            "cache by design: 'default' includes that, 'like_for_like' gives the bare context the same "
            "total KV size, 'single_sequence' runs the engine with one sequence; the target is judged on "
            "the two like-for-like comparisons.",
            "Units: KiB in 'engine' and 'bare' (as /proc prints them), MiB in 'comparisons'. RssFile counts "
            "the mmapped model's pages each process touched; with --n-gpu-layers the offloaded weights and "
            "KV cache live in device memory and are not in RSS.",
            "The engine's worker imports what the logitscope command's worker imports (tui.cli.main, via "
            "the spawn start method's re-import of the main script); the bare process imports llama_cpp only.",
        ],
    }))


if __name__ == "__main__":
    main()
