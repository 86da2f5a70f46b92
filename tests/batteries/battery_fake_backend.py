"""A scripted Backend for runner tests that need no model: deterministic choose, counted calls.

Each option's log-likelihood is a function of the prompt text and the option, so a resumed run
can be compared with an uninterrupted one; `interrupt_after` raises KeyboardInterrupt (Ctrl-C)
when that many evaluations have completed.
"""

from __future__ import annotations

import math
import zlib

from engine.types import (
    AdapterSpec,
    ChoiceMode,
    ChoiceRequest,
    ChoiceResult,
    OptionScore,
    Provenance,
    SamplingSettings,
    SystemPrompt,
)


def _provenance(system: SystemPrompt, text: str, adapters: tuple[AdapterSpec, ...]) -> Provenance:
    return Provenance("/fake/model.gguf", "0" * 64, adapters, system, text,
                      tuple(text.encode()[:8]), "gguf", SamplingSettings(seed=0), 2048, "fake", "fake")


class FakeBackend:
    def __init__(self, interrupt_after: int | None = None) -> None:
        self.interrupt_after = interrupt_after
        self.calls = 0
        self.adapters: tuple[AdapterSpec, ...] = ()
        self.adapter_switches: list[tuple[AdapterSpec, ...]] = []

    def set_adapters(self, adapters: tuple[AdapterSpec, ...]) -> None:
        self.adapters = tuple(adapters)
        self.adapter_switches.append(self.adapters)

    def choose(self, request: ChoiceRequest) -> ChoiceResult:
        if self.interrupt_after is not None and self.calls >= self.interrupt_after:
            raise KeyboardInterrupt
        self.calls += 1
        prompt = f"{request.system.describe()}|{request.messages[-1].content}|{self.adapters}"
        scores = []
        for option in request.options:
            seed = zlib.crc32(f"{prompt}|{option}".encode())
            token_logprobs = (-(seed % 700) / 100.0,)
            end = (-((seed >> 10) % 300) / 100.0,)
            scores.append((option, token_logprobs, end))
        total = math.fsum(math.exp(a[0] + b[0]) for _, a, b in scores)
        options = tuple(OptionScore(text, (len(text),), lp, lp[0] + end[0], math.exp(lp[0] + end[0]) / total,
                                    (2,), end) for text, lp, end in scores)
        return ChoiceResult(options, total, _provenance(request.system, prompt, self.adapters), ChoiceMode.COMPLETE)
