"""A scripted Backend for runner tests that need no model: deterministic choose, counted calls.

Each option's log-likelihood is a function of the prompt text and the option, so a resumed run
can be compared with an uninterrupted one; `interrupt_after` raises KeyboardInterrupt (Ctrl-C)
when that many evaluations have completed. Token texts come with `choose`'s options, as the
real engine gives them (`texts=False`: none, as from a backend that does not say): id 2 is
`<|im_end|>`, any other id n reads `tok<n>`. `score` teacher-forces raw token ids with the same
texts; `scored` keeps every id tuple asked (a battery of choices should ask none).
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
    ScoreRequest,
    ScoreResult,
    SystemPrompt,
    TokenStep,
)

END_ID = 2


def piece(token: int) -> bytes:
    return b"<|im_end|>" if token == END_ID else f"tok{token}".encode()


def _provenance(system: SystemPrompt, text: str, adapters: tuple[AdapterSpec, ...]) -> Provenance:
    return Provenance("/fake/model.gguf", "0" * 64, adapters, system, text,
                      tuple(text.encode()[:8]), "gguf", SamplingSettings(seed=0), 2048, "fake", "fake")


class FakeBackend:
    def __init__(self, interrupt_after: int | None = None, texts: bool = True) -> None:
        self.interrupt_after = interrupt_after
        self.texts = texts
        self.calls = 0
        self.adapters: tuple[AdapterSpec, ...] = ()
        self.adapter_switches: list[tuple[AdapterSpec, ...]] = []
        self.scored: list[tuple[int, ...]] = []

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
                                    (END_ID,), end, *self._texts((len(text),), (END_ID,)))
                        for text, lp, end in scores)
        return ChoiceResult(options, total, _provenance(request.system, prompt, self.adapters), ChoiceMode.COMPLETE)

    def _texts(self, *ids: tuple[int, ...]) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(piece(t).decode() for t in group) if self.texts else () for group in ids)

    def score(self, request: ScoreRequest) -> ScoreResult:
        self.scored.append(request.continuation_ids)
        steps = tuple(TokenStep(i, t, piece(t).decode(), piece(t), -1.0, 1.0, 0, (), forced=True)
                      for i, t in enumerate(request.continuation_ids))
        return ScoreResult(steps, -float(len(steps)),
                           _provenance(request.system, request.raw_prompt or "", self.adapters))
