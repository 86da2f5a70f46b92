"""The bare side of benchmarks/memory.py: a llama.cpp context alone in a fresh process, and its RSS.

memory.py runs this script in a process of its own, so that it and the engine's worker share no
pages and neither inherits the other's heap. argv[1] is a JSON spec: {"model", "n_ctx" (the whole
context: n_seq_max sequences of n_ctx / n_seq_max cells), "n_batch", "n_ubatch", "n_seq_max",
"threads", "n_gpu_layers", "prompt_ids", "tokens"}. It opens the model and the context with
benchmarks/raw_llama.py (llama-cpp-python's low-level API, nothing else), reads its own RSS,
decodes the prompt and `tokens` greedy tokens (llama.cpp's greedy sampler), reads it again and
prints {"after_load", "after_generation", "n_ctx_seq"} (proc_memory.py's fields, KiB).
"""

from __future__ import annotations

import json
import sys

from proc_memory import resident_kib
from raw_llama import open_raw_llama


def main() -> None:
    spec = json.loads(sys.argv[1])
    import llama_cpp
    from llama_cpp import _internals

    model, ctx, batch = open_raw_llama(spec["model"], spec["n_ctx"], spec["threads"], spec["n_gpu_layers"],
                                      n_batch=spec["n_batch"], n_ubatch=spec["n_ubatch"],
                                      n_seq_max=spec["n_seq_max"])
    after_load = resident_kib()
    prompt = spec["prompt_ids"]
    for start in range(0, len(prompt), spec["n_batch"]):
        batch.set_batch(prompt[start:start + spec["n_batch"]], n_past=start, logits_all=False)
        ctx.decode(batch)
    sampler = _internals.LlamaSampler()
    sampler.add_greedy()
    n_past = len(prompt)
    token = sampler.sample(ctx, -1)
    for _ in range(spec["tokens"] - 1):
        batch.set_batch([token], n_past=n_past, logits_all=False)
        ctx.decode(batch)
        n_past += 1
        token = sampler.sample(ctx, -1)
    after_generation = resident_kib()
    print(json.dumps({"after_load": after_load, "after_generation": after_generation,
                      "n_ctx_seq": llama_cpp.llama_n_ctx_seq(ctx.ctx)}))
    sampler.close()
    del model


if __name__ == "__main__":
    main()
