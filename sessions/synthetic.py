"""Synthetic turns with realistic shapes, for tests, benchmarks and TUI snapshots without a model.

Deterministic for a given seed. Token texts include multi-byte pieces, a character split across
two tokens, and awkward characters (quotes, backslashes, newlines, `<`) so every test exercises
the escaping paths.
"""

from __future__ import annotations

import math
import random

from engine.types import (
    AdapterSpec,
    ChoiceRequest,
    ChoiceResult,
    GenerationRequest,
    GenerationResult,
    Message,
    OptionScore,
    Provenance,
    SamplingSettings,
    ScoreRequest,
    ScoreResult,
    SystemPrompt,
    TokenAlternative,
    TokenStep,
)

_WORDS = [" the", " cat", " sat", " on", " a", " mat", ",", " \"quoted\"", " back\\slash", "\n",
          " <b>", " é", " 東京", " 🙂", " and", " then", "."]


def provenance(rng: random.Random, system: SystemPrompt = SystemPrompt(),
               adapters: tuple[AdapterSpec, ...] = ()) -> Provenance:
    ids = tuple(rng.randrange(49152) for _ in range(24))
    return Provenance(
        model_path="/models/synthetic.gguf", model_sha256="ab" * 32, adapters=adapters,
        system=system, rendered_prompt="<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n",
        prompt_token_ids=ids, template_source="gguf",
        sampling=SamplingSettings(temperature=0.7, seed=rng.randrange(2**31)), n_ctx=4096,
        llama_cpp_python_version="0.3.36", engine_version="0.1.0",
    )


def _alternative(token: int, text: str, logprob: float) -> TokenAlternative:
    return TokenAlternative(token, text, logprob, text.encode())


def steps(rng: random.Random, n: int, k: int = 10, forced: bool = False) -> tuple[TokenStep, ...]:
    out = []
    for i in range(n):
        raw = sorted((rng.gauss(0, 2.5) for _ in range(k)), reverse=True)
        norm = math.log(sum(math.exp(x) for x in raw) + rng.random() * 3)
        top = tuple(_alternative(rng.randrange(49152), rng.choice(_WORDS), x - norm) for x in raw)
        rank = rng.choice([0, 0, 0, 0, 1, 2, 5])
        chosen = top[min(rank, k - 1)]
        if i % 50 == 7:  # a character split across two byte tokens
            piece, text = "🙂".encode()[:2], ""
        elif i % 50 == 8:
            piece, text = "🙂".encode()[2:], "🙂"
        else:
            piece, text = chosen.text.encode(), chosen.text
        out.append(TokenStep(i=i, id=chosen.id, text=text, piece=piece, logprob=chosen.logprob,
                             entropy=rng.random() * 4, rank=rank, top=top, forced=forced))
    return tuple(out)


def generation(rng: random.Random, n_tokens: int = 20, k: int = 10,
               prompt: str = "Tell me about cats.") -> tuple[GenerationRequest, GenerationResult]:
    system = SystemPrompt.custom("You are terse.")
    request = GenerationRequest((Message("user", prompt),), system=system,
                                sampling=SamplingSettings(temperature=0.7, seed=7),
                                max_tokens=n_tokens, top_k_probs=k)
    s = steps(rng, n_tokens, k)
    result = GenerationResult(steps=s, text="".join(x.text for x in s), finish_reason="length",
                              provenance=provenance(rng, system), tokens_per_s=123.4,
                              prompt_eval_s=0.01, generate_s=0.2)
    return request, result


def choice(rng: random.Random) -> tuple[ChoiceRequest, ChoiceResult]:
    request = ChoiceRequest((Message("user", "Is the sky blue?"),), (" yes", " no"))
    options = (OptionScore(" yes", (9584,), (-0.2,), -0.2, 0.8),
               OptionScore(" no", (714,), (-1.6,), -1.6, 0.2))
    return request, ChoiceResult(options, mass=0.96, provenance=provenance(rng))


def score(rng: random.Random, n_tokens: int = 5) -> tuple[ScoreRequest, ScoreResult]:
    s = steps(rng, n_tokens, forced=True)
    request = ScoreRequest((Message("user", "Say hi"),), "".join(x.text for x in s),
                           continuation_ids=tuple(x.id for x in s))
    return request, ScoreResult(s, math.fsum(x.logprob for x in s), provenance(rng))
