"""Forced-choice throughput: options scored per second, one decode per option vs token by token.

new: `LlamaBackend._score_continuations`, what `choose` runs: the prompt's keys and values
computed once, then each option's tokens in ONE llama_decode with logits only at the positions
that score a next token, its cells removed afterwards. old: the token-by-token teacher forcing
`choose` used before (and `score` still uses): per option, one decode per option token (the
prompt's last logits are kept with its cells, so neither path decodes the prompt again). Both
score the same complete-answer token sequences (text then end of turn) after the same rendered
prompt, in this process (no worker, no IPC); repetitions interleaved in one run; medians.
`choose_options_per_s` times the whole `choose` call (rendering and tokenising each option in
context included).

Prints JSON {"options", "tokens_per_option", "new_options_per_s", "old_options_per_s", "ratio",
"choose_options_per_s", "max_abs_diff"}.
Usage: python benchmarks/choice_throughput.py [--reps 5] [--model PATH] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

QUESTION = ("You are offered two lotteries. Lottery A pays 50 dollars for sure. Lottery B pays "
            "100 dollars with probability one half and nothing otherwise. Which do you choose, "
            "and how would you describe your attitude to risk?")
OPTIONS = ("A", "B", "Lottery A", "Lottery B", "I choose A, the sure thing.",
           "I choose B, the gamble.", "I am risk-averse, so A.", "I am risk-seeking, so B.",
           "Neither", "I cannot choose between them.")


def main() -> None:
    from engine import default_model_path
    from engine.llama_backend import LlamaBackend, LogSink
    from engine.types import ChoiceMode, ChoiceRequest, Message, ModelConfig

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    backend = LlamaBackend(ModelConfig(args.model or str(default_model_path()), n_ctx=2048,
                                       n_threads=args.threads), LogSink(lambda _text: None))
    try:
        request = ChoiceRequest((Message("user", QUESTION),), OPTIONS, mode=ChoiceMode.COMPLETE)
        prompt = backend.render(request.system, request.messages)
        prefix = list(prompt.token_ids)
        seq = backend._sequence(prefix)
        answers = [backend._answer_tokens(request.system, request.messages, prompt, o,
                                          ChoiceMode.COMPLETE).ids for o in OPTIONS]

        def new() -> list[list[float]]:
            return backend._score_continuations(seq, prefix, answers)

        def old() -> list[list[float]]:
            return [[s.logprob for s in backend._teacher_force(seq, prefix, list(ids), 0)]
                    for ids in answers]

        def timed(run: Callable[[], T]) -> tuple[float, T]:
            started = time.perf_counter()
            value = run()
            return time.perf_counter() - started, value

        new(), old()  # warm up: the prompt is cached for both from here on
        timings: dict[str, list[float]] = {"new": [], "old": [], "choose": []}
        diff = 0.0
        for _ in range(args.reps):
            new_s, fast = timed(new)
            old_s, slow = timed(old)
            choose_s, _ = timed(lambda: backend.choose(request))
            for name, seconds in (("new", new_s), ("old", old_s), ("choose", choose_s)):
                timings[name].append(seconds)
            diff = max([diff] + [abs(a - b) for x, y in zip(fast, slow, strict=True)
                                 for a, b in zip(x, y, strict=True)])
    finally:
        backend.close()
    per_s = {name: len(OPTIONS) / statistics.median(times) for name, times in timings.items()}
    print(json.dumps({
        "options": len(OPTIONS),
        "tokens_per_option": round(statistics.mean(len(a) for a in answers), 2),
        "prompt_tokens": len(prefix),
        "new_options_per_s": round(per_s["new"], 2),
        "old_options_per_s": round(per_s["old"], 2),
        "ratio": round(per_s["new"] / per_s["old"], 3),
        "choose_options_per_s": round(per_s["choose"], 2),
        "max_abs_diff": diff,
        "reps": args.reps,
    }))


if __name__ == "__main__":
    main()
