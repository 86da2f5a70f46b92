"""Re-run and re-score a saved session under another configuration.

Re-run asks every turn again (same messages, sampling and seed) with another model, adapters or
system prompt, and journals the answers as a new session linked to the original, turn by turn, so
`compare` can line them up. Re-score teacher-forces the saved answers' exact token ids under
another configuration: how likely the base model was to say what the fine-tune said.

Both keep the conversation history exactly as recorded (each turn's `request.messages`), so each
re-run turn sees the same context as the original and the comparison isolates the configuration.
Nothing here loads a model by itself: the caller passes a Backend (LocalBackend in the CLI).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from engine.backend import Backend
from engine.errors import EngineError
from engine.types import (
    AdapterSpec,
    ChoiceRequest,
    GenerationRequest,
    ScoreRequest,
    SystemPrompt,
)

from .errors import RerunError
from .journal import Session
from .model import Turn, TurnKind, TurnOrigin
from .record import record_turn


@dataclass(frozen=True)
class RunConfig:
    """What to change; a None field keeps each turn's own recorded value."""

    model_path: str | None = None
    adapters: tuple[AdapterSpec, ...] | None = None
    system: SystemPrompt | None = None

    def describe(self) -> str:
        parts = []
        if self.model_path is not None:
            parts.append(f"model {Path(self.model_path).name}")
        if self.adapters is not None:
            parts.append("adapters " + (", ".join(f"{Path(a.path).name}:{a.scale:g}"
                                                  for a in self.adapters) or "none"))
        if self.system is not None:
            parts.append(f"system {self.system.describe()}")
        return "; ".join(parts) or "same configuration"


def resolve(turn: Turn, config: RunConfig) -> tuple[str, tuple[AdapterSpec, ...], SystemPrompt]:
    p = turn.provenance
    return (config.model_path if config.model_path is not None else p.model_path,
            config.adapters if config.adapters is not None else p.adapters,
            config.system if config.system is not None else p.system)


def preflight(session: Session, config: RunConfig) -> None:
    """Refuse before any work when a model or adapter file the run needs is missing."""
    for turn in session.turns:
        model, adapters, _ = resolve(turn, config)
        if not os.path.isfile(model):
            recorded = turn.provenance
            raise RerunError(
                f"The model {model} is missing (session {session.id!r} recorded sha256 "
                f"{recorded.model_sha256[:16]}…). Replay still works; to re-run, pass --model PATH."
                if config.model_path is None else f"The model file {model} does not exist."
            )
        for spec in adapters:
            if not os.path.isfile(spec.path):
                raise RerunError(
                    f"The adapter {spec.path} is missing. Pass --adapter FILE[:SCALE] to use "
                    "another, or --no-adapters."
                )


def _activate(backend: Backend, model: str, adapters: tuple[AdapterSpec, ...]) -> None:
    """Load `model` (keeping the backend's context size and GPU settings) or just swap adapters."""
    if backend.info is None or os.path.realpath(backend.config.model_path) != os.path.realpath(model):
        backend.load(replace(backend.config, model_path=model, adapters=adapters))
    elif tuple(backend.config.adapters) != tuple(adapters):
        backend.set_adapters(adapters)


def _same_model(backend: Backend, turn: Turn) -> bool:
    return backend.info is not None and backend.info.sha256 == turn.provenance.model_sha256


def _branch_prefix(turn: Turn, source: Session, backend: Backend) -> tuple[int, ...]:
    """The forced assistant tokens of a branch turn, re-tokenised when the model changed."""
    forced = turn.request.continue_from  # type: ignore[union-attr]
    if not forced or _same_model(backend, turn):
        return forced
    by_id = {t.id: t for t in source.turns}
    parent = by_id.get(turn.parent or "")
    tokenize = getattr(backend, "tokenize", None)
    if parent is None or tokenize is None:
        raise RerunError(f"Turn {turn.id} is a branch whose forced prefix is in another model's "
                         "token ids, and its parent turn is not in the session to re-tokenise.")
    pieces = {s.id: s.piece for s in parent.steps}
    text = b"".join(pieces.get(t, b"") for t in forced).decode("utf-8", "replace")
    return tuple(tokenize(text))


def rerun(source: Session, target: Session, backend: Backend, config: RunConfig,
          on_turn: Callable[[int, Turn], None] | None = None) -> list[Turn]:
    """Ask every turn of `source` again under `config`, journaling each into `target` at once."""
    preflight(source, config)
    new_ids: dict[str, str] = {}
    done = []
    for number, turn in enumerate(source.turns, 1):
        model, adapters, system = resolve(turn, config)
        try:
            _activate(backend, model, adapters)
            request = turn.request
            if isinstance(request, GenerationRequest):
                request = replace(request, system=system,
                                  continue_from=_branch_prefix(turn, source, backend))
                stream = backend.generate(request)
                for _ in stream:
                    pass
                result = stream.result
                if result is None:
                    raise RerunError(f"The generation for turn {turn.id} ended without a result.")
            elif isinstance(request, ChoiceRequest):
                request = replace(request, system=system)
                result = backend.choose(request)
            else:
                assert isinstance(request, ScoreRequest)
                ids = request.continuation_ids if _same_model(backend, turn) else ()
                request = replace(request, system=system, continuation_ids=ids)
                result = backend.score(request)
        except EngineError as exc:
            raise RerunError(f"Turn {number} ({turn.id}): {exc.msg}") from exc
        new = record_turn(target, request, result, parent=new_ids.get(turn.parent or ""),
                          branch_position=turn.branch_position,
                          origin=TurnOrigin(source.id, turn.id), note=turn.note)
        new_ids[turn.id] = new.id
        done.append(new)
        if on_turn is not None:
            on_turn(number, new)
    return done


# ----- re-scoring ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RescoredToken:
    i: int
    id: int
    text: str
    original_logprob: float | None  # None for a branch's forced prefix (not part of the answer)
    logprob: float
    rank: int
    delta: float | None  # logprob - original_logprob


@dataclass(frozen=True)
class TurnRescore:
    turn: str
    prompt: str
    answer: str
    tokens: tuple[RescoredToken, ...]
    original_logprob: float  # sum over the answer's tokens as recorded
    rescored_logprob: float  # sum over the same tokens under the new configuration
    rescored_turn: str | None  # the score turn journaled in the target session, if any

    @property
    def mean_delta(self) -> float:
        deltas = [t.delta for t in self.tokens if t.delta is not None]
        return math.fsum(deltas) / len(deltas) if deltas else 0.0


@dataclass(frozen=True)
class RescoreReport:
    session: str
    config: str
    turns: tuple[TurnRescore, ...]
    skipped: tuple[str, ...]  # why some turns were not re-scored
    target: str | None


def rescore(source: Session, backend: Backend, config: RunConfig,
            target: Session | None = None,
            on_turn: Callable[[int, TurnRescore], None] | None = None) -> RescoreReport:
    """Teacher-force each saved answer's exact token ids under `config`; report per-token logprobs."""
    preflight(source, config)
    results, skipped = [], []
    for number, turn in enumerate(source.turns, 1):
        if turn.kind is TurnKind.CHOICE:
            skipped.append(f"turn {number} ({turn.id}): a choice has no answer tokens to re-score")
            continue
        if not turn.steps:
            skipped.append(f"turn {number} ({turn.id}): empty answer")
            continue
        model, adapters, system = resolve(turn, config)
        prefix: tuple[int, ...] = ()
        raw_prompt = None
        if isinstance(turn.request, GenerationRequest):
            prefix = turn.request.continue_from
        elif isinstance(turn.request, ScoreRequest):
            raw_prompt = turn.request.raw_prompt
        ids = prefix + tuple(s.id for s in turn.steps)
        request = ScoreRequest(turn.request.messages, continuation=turn.answer, system=system,
                               top_k_probs=getattr(turn.request, "top_k_probs", 10),
                               raw_prompt=raw_prompt, continuation_ids=ids)
        try:
            _activate(backend, model, adapters)
            result = backend.score(request)
        except EngineError as exc:
            raise RerunError(f"Turn {number} ({turn.id}): {exc.msg}") from exc
        originals = [None] * len(prefix) + [s.logprob for s in turn.steps]
        tokens = tuple(
            RescoredToken(i=s.i, id=s.id, text=s.text, original_logprob=o, logprob=s.logprob,
                          rank=s.rank, delta=None if o is None else s.logprob - o)
            for s, o in zip(result.steps, originals)
        )
        saved = record_turn(target, request, result, origin=TurnOrigin(source.id, turn.id)) \
            if target is not None else None
        item = TurnRescore(
            turn=turn.id, prompt=turn.prompt, answer=turn.answer, tokens=tokens,
            original_logprob=math.fsum(s.logprob for s in turn.steps),
            rescored_logprob=math.fsum(t.logprob for t in tokens if t.original_logprob is not None),
            rescored_turn=saved.id if saved else None,
        )
        results.append(item)
        if on_turn is not None:
            on_turn(number, item)
    return RescoreReport(source.id, config.describe(), tuple(results), tuple(skipped),
                         target.id if target is not None else None)
