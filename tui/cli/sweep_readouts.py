"""What `logitscope sweep` reads at each scale: options, word categories or continuations.

Why its own module: sweep.py handles the command line and the printing; this module decides what
one reading means and asks the engine for it, so every number can be checked against `choose` and
`score`. Each reader takes a Backend and the Configuration of one scale and returns one Reading
per series (option, category or continuation) with its logprob, unnormalised probability and
probability normalised over the series, plus the token ids and per-token logprobs it recomputes
from.

- options: `choose` on the options (complete answers by default, or prefixes);
- words: `choose` on every variant of every word (sessions.batteries' word_variants: case and
  leading-space forms); a category's raw probability is the sum over its variants, as the
  battery `words` readout computes it;
- continuations: `score` of each continuation as the assistant's answer (teacher forcing, no
  end of turn): its total logprob.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.backend import Backend
from engine.types import (
    ChoiceMode,
    ChoiceRequest,
    ChoiceResult,
    Configuration,
    Message,
    OptionScore,
    Provenance,
    ScoreRequest,
)
from sessions.batteries import WordCategory


@dataclass(frozen=True)
class Reading:
    """One series at one scale."""

    name: str
    logprob: float
    raw_prob: float  # exp(logprob): unnormalised
    prob: float  # raw_prob normalised over the series read together
    detail: dict[str, Any]  # token ids and per-token logprobs the numbers recompute from


@dataclass(frozen=True)
class ScaleReading:
    readings: tuple[Reading, ...]
    mass: float | None  # probability the options or word variants cover together; None for continuations
    provenance: Provenance


def _normalised(raw: list[float]) -> list[float]:
    total = math.fsum(raw)
    return [r / total if total > 0 else math.nan for r in raw]


def _log(value: float) -> float:
    return math.log(value) if value > 0 else -math.inf


def _option_detail(o: OptionScore) -> dict[str, Any]:
    return {"token_ids": list(o.token_ids), "token_logprobs": list(o.token_logprobs),
            "end_token_ids": list(o.end_token_ids), "end_token_logprobs": list(o.end_token_logprobs)}


def _choose(backend: Backend, configuration: Configuration, prompt: str, options: tuple[str, ...],
            mode: ChoiceMode) -> ChoiceResult:
    return backend.choose(ChoiceRequest((Message("user", prompt),), options, configuration.system, mode,
                                        configuration=configuration))


@dataclass(frozen=True)
class OptionsReader:
    prompt: str
    options: tuple[str, ...]  # the strings scored
    mode: ChoiceMode = ChoiceMode.COMPLETE
    # What each option is called when that is not the string scored (a battery question's option
    # texts, whose labels "A", "B" are scored); () = the strings themselves.
    shown: tuple[str, ...] = ()
    kind: str = "options"

    def names(self) -> tuple[str, ...]:
        return self.shown or self.options

    def read(self, backend: Backend, configuration: Configuration) -> ScaleReading:
        result = _choose(backend, configuration, self.prompt, self.options, self.mode)
        readings = tuple(Reading(name, o.logprob, o.raw_prob, o.prob, {"scored": o.text, **_option_detail(o)})
                         for name, o in zip(self.names(), result.options, strict=True))
        return ScaleReading(readings, result.mass, result.provenance)


@dataclass(frozen=True)
class WordsReader:
    prompt: str
    categories: tuple[WordCategory, ...]
    mode: ChoiceMode = ChoiceMode.COMPLETE
    kind: str = "words"

    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)

    def read(self, backend: Backend, configuration: Configuration) -> ScaleReading:
        variants = tuple(dict.fromkeys(v for c in self.categories for v in c.variants()))
        result = _choose(backend, configuration, self.prompt, variants, self.mode)
        by_text = {o.text: o for o in result.options}
        raw = [math.fsum(by_text[v].raw_prob for v in c.variants()) for c in self.categories]
        readings = tuple(
            Reading(c.name, _log(r), r, p, {"words": list(c.words), "variants": [
                {"text": v, "logprob": by_text[v].logprob, **_option_detail(by_text[v])} for v in c.variants()]})
            for c, r, p in zip(self.categories, raw, _normalised(raw), strict=True))
        return ScaleReading(readings, result.mass, result.provenance)


@dataclass(frozen=True)
class ContinuationsReader:
    prompt: str
    continuations: tuple[str, ...]
    kind: str = "continuations"

    def names(self) -> tuple[str, ...]:
        return self.continuations

    def read(self, backend: Backend, configuration: Configuration) -> ScaleReading:
        results = [backend.score(ScoreRequest((Message("user", self.prompt),), text, configuration.system,
                                              top_k_probs=0, configuration=configuration))
                   for text in self.continuations]
        raw = [math.exp(r.total_logprob) for r in results]
        readings = tuple(
            Reading(text, r.total_logprob, q, p, {"token_ids": [s.id for s in r.steps],
                                                   "token_logprobs": [s.logprob for s in r.steps],
                                                   "ranks": [s.rank for s in r.steps]})
            for text, r, q, p in zip(self.continuations, results, raw, _normalised(raw), strict=True))
        return ScaleReading(readings, None, results[0].provenance)


Reader = OptionsReader | WordsReader | ContinuationsReader
