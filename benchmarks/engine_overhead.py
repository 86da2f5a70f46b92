"""Engine overhead: our engine (worker process, full-vocabulary probabilities, top-10) vs a raw loop.

raw: a plain llama-cpp-python greedy loop in this process (llama_decode + llama.cpp's greedy
sampler, no probabilities, no IPC). engine: LocalBackend.generate with temperature 0 and
top_k_probs=10, timed in the caller from request to result less the prompt evaluation. Same
model, prompt and token count;
repetitions interleaved in one run; medians of (tokens - 1) / generation time (the first
token needs no decode after the prompt in either loop).

Both sides run with the same --n-gpu-layers and --threads (benchmarks/device_flags.py); the JSON
records them and what the worker's llama.cpp build can offload to.

Prints JSON {"raw_tok_s", "engine_tok_s", "ratio", ...}. Target: ratio >= 0.95.
Usage: python benchmarks/engine_overhead.py [--tokens 128] [--reps 5] [--model PATH]
       [--n-gpu-layers N] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from device_flags import add_device_flags, device_flags
from raw_llama import open_raw_llama

PROMPT = "Write a long story about a cat."


def raw_runner(model_path: str, n_ctx: int, threads: int, n_gpu_layers: int):
    from llama_cpp import _internals

    model, ctx, batch = open_raw_llama(model_path, n_ctx, threads, n_gpu_layers)

    def run(prompt_ids: list[int], n_tokens: int) -> float:
        ctx.kv_cache_clear()
        sampler = _internals.LlamaSampler()
        sampler.add_greedy()
        batch.set_batch(prompt_ids, n_past=0, logits_all=False)
        ctx.decode(batch)
        n_past = len(prompt_ids)
        token = sampler.sample(ctx, -1)
        start = time.perf_counter()
        for _ in range(n_tokens - 1):
            batch.set_batch([token], n_past=n_past, logits_all=False)
            ctx.decode(batch)
            n_past += 1
            token = sampler.sample(ctx, -1)
        elapsed = time.perf_counter() - start
        sampler.close()
        return (n_tokens - 1) / elapsed

    return run


def main() -> None:
    from engine import LocalBackend, default_model_path
    from engine.types import GenerationRequest, Message, SamplingSettings, SystemPrompt

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--reps", type=int, default=5)
    add_device_flags(parser)
    args = parser.parse_args()
    flags = device_flags(args)
    model_path = args.model or str(default_model_path())
    n_ctx = 2048

    backend = LocalBackend(flags.model_config(model_path, n_ctx=n_ctx))
    backend.start()
    device = flags.record(backend)
    messages = (Message("user", PROMPT),)
    prompt_ids = list(backend.render(SystemPrompt.none(), messages).token_ids)
    request = GenerationRequest(messages, sampling=SamplingSettings(temperature=0.0, seed=0),
                                max_tokens=args.tokens, top_k_probs=10)

    def engine_run() -> tuple[float, int]:
        # Wall time in the caller from request to result, less the worker's prompt evaluation:
        # rendering, IPC and per-token probabilities all count against the engine.
        start = time.perf_counter()
        stream = backend.generate(request)
        n = sum(1 for _ in stream)
        assert stream.result is not None
        elapsed = time.perf_counter() - start - stream.result.prompt_eval_s
        return (n - 1) / elapsed, n

    _, n_tokens = engine_run()  # warm-up; also fixes the token count (the answer may stop early)
    raw = raw_runner(model_path, n_ctx, flags.threads, flags.n_gpu_layers)
    raw(prompt_ids, n_tokens)  # warm-up
    raw_rates, engine_rates = [], []
    for _ in range(args.reps):
        raw_rates.append(raw(prompt_ids, n_tokens))
        engine_rates.append(engine_run()[0])
    backend.close()
    raw_tok_s = statistics.median(raw_rates)
    engine_tok_s = statistics.median(engine_rates)
    print(json.dumps({
        "raw_tok_s": round(raw_tok_s, 2),
        "engine_tok_s": round(engine_tok_s, 2),
        "ratio": round(engine_tok_s / raw_tok_s, 4),
        "target": "ratio >= 0.95",
        "target_met": engine_tok_s / raw_tok_s >= 0.95,
        "tokens": n_tokens,
        "reps": args.reps,
        **device,
        "model": os.path.basename(model_path),
    }))


if __name__ == "__main__":
    main()
