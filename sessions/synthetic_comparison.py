"""Synthetic comparisons with realistic shapes, for tests and TUI snapshots without a model.

Deterministic for a given seed. Built on sessions/synthetic.py's token steps (multi-byte pieces,
awkward characters); lanes end at different positions, and one pair's KL is infinite at one
position (a token one side masks), so every test exercises the ragged and non-finite paths.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

from engine.compare import CompareLane, CompareRequest, CompareResult, CompareStep, PairDivergence
from engine.compare.divergence import summarise_pairs
from engine.types import AdapterSpec, Configuration, GenerationResult, Message, SamplingSettings, SystemPrompt

from .synthetic import provenance, steps

LANE_NAMES = ("base", "pirate", "lora", "empty")


def lanes(n: int = 2) -> tuple[CompareLane, ...]:
    configurations = (Configuration(), Configuration(system=SystemPrompt.custom("You are a pirate.")),
                      Configuration(adapters=(AdapterSpec("/adapters/hello.gguf", 0.5),)),
                      Configuration(system=SystemPrompt.empty()))
    return tuple(CompareLane(LANE_NAMES[i], configurations[i], SamplingSettings(temperature=0.0, seed=i))
                 for i in range(n))


def comparison(rng: random.Random, n_lanes: int = 2, n_tokens: int = 8, forced_from: str = ""
               ) -> tuple[CompareRequest, tuple[CompareStep, ...], CompareResult]:
    """A comparison of `n_lanes` lanes over at most `n_tokens` positions; the last lane stops two
    positions early (unless forced, when every lane has every position)."""
    request = CompareRequest((Message("user", "Name one colour of the rainbow."),), lanes(n_lanes),
                             max_tokens=n_tokens, forced_from=forced_from)
    lengths = [n_tokens] * n_lanes
    if not forced_from and n_lanes > 1:
        lengths[-1] = max(1, n_tokens - 2)
    lane_steps = [steps(rng, length, forced=bool(forced_from)) for length in lengths]
    if forced_from:  # every lane scored on the same tokens
        lane_steps = [tuple(replace(s, id=lane_steps[0][s.i].id, text=lane_steps[0][s.i].text,
                                    piece=lane_steps[0][s.i].piece) for s in one) for one in lane_steps]
    positions = []
    for position in range(n_tokens):
        here = tuple(one[position] if position < len(one) else None for one in lane_steps)
        pairs = []
        for a in range(n_lanes):
            for b in range(a + 1, n_lanes):
                step_a, step_b = here[a], here[b]
                if step_a is None or step_b is None:
                    continue
                kl_ab = math.inf if position == 1 and (a, b) == (0, 1) else rng.random() * 2
                pairs.append(PairDivergence(a, b, kl_ab, rng.random() * 2, rng.random() * math.log(2),
                                            step_a.id != step_b.id, -rng.random() * 6, -rng.random() * 6))
        positions.append(CompareStep(position, here, tuple(pairs)))
    results = tuple(
        GenerationResult(steps=one, text="".join(s.text for s in one),
                         finish_reason="forced" if forced_from else "length" if len(one) == n_tokens else "stop",
                         provenance=provenance(rng, lane.configuration.system, lane.configuration.adapters),
                         tokens_per_s=100.0, prompt_eval_s=0.01, generate_s=0.1)
        for lane, one in zip(request.lanes, lane_steps, strict=True))
    result = CompareResult(results, tuple(lane.name for lane in request.lanes),
                           summarise_pairs(n_lanes, positions), forced=bool(forced_from))
    return request, tuple(positions), result


__all__ = ["LANE_NAMES", "comparison", "lanes"]
