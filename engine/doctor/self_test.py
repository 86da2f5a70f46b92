"""The doctor's self-test: load the default model in the worker and decode a few tokens.

It runs exactly the path that fails when the binary does not suit the machine: a model load
with weight repacking, then a prompt evaluation of many tokens at once, then single-token decodes.
"""

from __future__ import annotations

import math
import time

from ..errors import EngineError
from ..local import LocalBackend
from ..types import GenerationRequest, Message, ModelConfig, SamplingSettings
from .report import FAIL, OK, Check

PROMPT = "Only say yes."
TOKENS = 8


def self_test_check(backend: LocalBackend, model_path: str) -> Check:
    started = time.perf_counter()
    try:
        backend.load(ModelConfig(model_path=model_path, n_ctx=512))
        loaded = time.perf_counter()
        stream = backend.generate(GenerationRequest(
            messages=(Message("user", PROMPT),), sampling=SamplingSettings(temperature=0, seed=1),
            max_tokens=TOKENS, top_k_probs=5))
        steps = list(stream)
        result = stream.result
    except EngineError as exc:
        return Check("self-test", FAIL, f"{exc.title}: {exc.msg}",
                     fix="see the message above; `logitscope doctor --json` has the details",
                     details={"log_tail": exc.details})
    details = {
        "model": model_path, "load_s": round(loaded - started, 3), "prompt": PROMPT,
        "answer": result.text if result else "", "n_tokens": len(steps),
        "prompt_tokens": len(result.provenance.prompt_token_ids) if result else 0,
        "prompt_eval_s": result.prompt_eval_s if result else None,
        "tokens_per_s": result.tokens_per_s if result else None,
    }
    sane = steps and all(math.isfinite(s.logprob) and s.logprob <= 1e-6 and s.entropy >= -1e-6
                         for s in steps)
    if not sane:
        return Check("self-test", FAIL, "the model decoded, but the numbers are not "
                     "probabilities (non-finite or positive log-probabilities)",
                     fix="rebuild llama-cpp-python and report it if this persists", details=details)
    return Check("self-test", OK,
                 f"loaded the default model in {details['load_s']:.2f} s and decoded "
                 f"{len(steps)} tokens after a {details['prompt_tokens']}-token prompt "
                 f"({details['tokens_per_s']:.0f} tok/s): {details['answer']!r}", details=details)
