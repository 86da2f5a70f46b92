"""Prompt evaluation: how fast a long prompt goes through the engine vs a raw llama.cpp decode.

Batteries and forced choice are mostly prompt evaluation, and it is where the CPU's matrix units
(AMX on Xeon, see engine/native/) show most. raw: one llama_decode over the prompt tokens in
batches of 512, KV cache cleared first, in this process. engine: LocalBackend.generate of one
token for a user message of about --tokens tokens; each repetition changes the first word so
the engine's prefix cache cannot skip the work; timed by the worker's prompt_eval_s.
Repetitions interleaved in one run; medians.

Prints JSON {"raw_prompt_tok_s", "engine_prompt_tok_s", "ratio", "prompt_tokens", ...}.
Usage: python benchmarks/prompt_eval.py [--tokens 512] [--reps 5] [--model PATH] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from raw_llama import open_raw_llama

from engine.threads import default_thread_count

FILLER = ("The quick brown fox jumps over the lazy dog while the sun sets behind the hills, "
          "and the river keeps running to the sea. ")


def raw_runner(model_path: str, n_ctx: int, threads: int):
    model, ctx, batch = open_raw_llama(model_path, n_ctx, threads)

    def run(prompt_ids: list[int]) -> float:
        ctx.kv_cache_clear()
        start = time.perf_counter()
        for at in range(0, len(prompt_ids), 512):
            batch.set_batch(prompt_ids[at:at + 512], n_past=at, logits_all=False)
            ctx.decode(batch)
        return len(prompt_ids) / (time.perf_counter() - start)

    return run


def main() -> None:
    from engine import LocalBackend, default_model_path
    from engine.types import GenerationRequest, Message, ModelConfig, SamplingSettings, SystemPrompt

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None)
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=default_thread_count())
    args = parser.parse_args()
    model_path = args.model or str(default_model_path())
    n_ctx = 4096

    backend = LocalBackend(ModelConfig(model_path, n_ctx=n_ctx, n_threads=args.threads))
    backend.start()
    overhead = len(backend.render(SystemPrompt.none(), (Message("user", "Story 0."),)).token_ids)
    body = FILLER * max(1, round((args.tokens - overhead) / len(backend.tokenize(FILLER))))

    def request(rep: int) -> GenerationRequest:
        text = f"Story {rep}. {body}"
        return GenerationRequest((Message("user", text),), sampling=SamplingSettings(temperature=0.0, seed=0),
                                 max_tokens=1, top_k_probs=0)

    def engine_run(rep: int) -> tuple[float, int]:
        stream = backend.generate(request(rep))
        for _ in stream:
            pass
        result = stream.result
        assert result is not None
        n = len(result.provenance.prompt_token_ids)
        return n / result.prompt_eval_s, n

    _, n_prompt = engine_run(-1)  # warm-up
    raw = raw_runner(model_path, n_ctx, args.threads)
    prompt_ids = list(backend.render(SystemPrompt.none(), request(0).messages).token_ids)
    raw(prompt_ids)  # warm-up
    raw_rates, engine_rates = [], []
    for rep in range(args.reps):
        raw_rates.append(raw(prompt_ids))
        engine_rates.append(engine_run(rep)[0])
    backend.close()
    raw_tok_s, engine_tok_s = statistics.median(raw_rates), statistics.median(engine_rates)
    print(json.dumps({
        "raw_prompt_tok_s": round(raw_tok_s, 1),
        "engine_prompt_tok_s": round(engine_tok_s, 1),
        "ratio": round(engine_tok_s / raw_tok_s, 4),
        "prompt_tokens": n_prompt,
        "reps": args.reps,
        "threads": args.threads,
        "model": os.path.basename(model_path),
    }))


if __name__ == "__main__":
    main()
