"""Re-run and re-score a saved session under another configuration.

Re-run asks every turn again (same messages, sampling and the seed the answer was sampled with)
with another model, adapters or system prompt, and journals the answers as a new session linked to
the original, turn by turn, so `compare` can line them up. Re-score teacher-forces the saved
answers' exact token ids under another configuration: how likely the base model was to say what
the fine-tune said.

Token ids are only reused where the new model reads them as the recorded bytes (sessions/tokens.py);
under another tokenizer the recorded text is tokenised again (re-score says so per turn), and what
cannot be written as text (a fork inside a UTF-8 character) is refused rather than dropped.

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
from engine.errors import EngineError, RequestError
from engine.seeds import check_seed
from engine.types import (
    AdapterSpec,
    ChoiceRequest,
    GenerationRequest,
    GenerationResult,
    ScoreRequest,
    ScoreResult,
    SystemPrompt,
)

from .errors import RerunError
from .journal import Session
from .model import Request, Result, Turn, TurnKind, TurnOrigin
from .partial import failed
from .record import record_turn
from .tokens import TurnIndex, complete_length, forced_pieces, in_vocabulary, read_pieces


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


def _model_name(backend: Backend) -> str:
    return Path(backend.config.model_path).name


def _branch_prefix(turn: Turn, index: TurnIndex, backend: Backend, system: SystemPrompt
                   ) -> tuple[tuple[int, ...], tuple[bytes, ...]]:
    """A branch turn's forced tokens for the backend's model, and their bytes.

    The recorded ids when the model reads them as the recorded bytes; otherwise those bytes
    tokenised again, which only works for whole UTF-8 text: anything else is refused, never
    dropped.
    """
    forced = turn.request.continue_from  # type: ignore[union-attr]
    if not forced:
        return (), ()
    pieces = forced_pieces(turn, index)
    if _same_model(backend, turn):
        return forced, pieces or ()
    if pieces is None:
        raise RerunError(
            "It is a branch, but the bytes of the tokens it forces are not in the session (it "
            "was journaled before they were recorded, and its parent turn cannot supply them), "
            f"so they can be neither checked against nor tokenised again for "
            f"{_model_name(backend)}. Re-run it under the model that recorded it (sha256 "
            f"{turn.provenance.model_sha256[:16]}…).")
    messages = turn.request.messages
    if read_pieces(backend, forced, messages, system) == pieces:
        return forced, pieces  # another model with the same tokenizer
    data = b"".join(pieces)
    whole = complete_length(data)
    if whole is None:
        raise RerunError(
            f"It is a branch that forces bytes that are not valid UTF-8 ({data!r}); "
            f"{_model_name(backend)} has another tokenizer, and can only be made to force text.")
    if whole < len(data):
        raise RerunError(
            "It is a branch that forks inside a UTF-8 character (its forced tokens end with the "
            f"bytes {data[whole:].hex(' ')}); {_model_name(backend)} has another tokenizer, which "
            "can only force whole characters. Re-run it under a model with the recording "
            "model's tokenizer.")
    ids = tuple(backend.tokenize(data.decode("utf-8")))
    return ids, read_pieces(backend, ids, messages, system) or ()


def _seeded(turn: Turn, request: GenerationRequest) -> tuple[GenerationRequest, int | None]:
    """The request with the seed the turn's answer was sampled with (the engine draws a new one
    for a request without a seed, which would mix sampling noise into the comparison), and None;
    or, for a seed llama.cpp does not use as given (old journals recorded `--seed -1`, which meant
    "pick a random one"), the request with no seed, so the engine draws and records one, and that
    unusable seed."""
    seed = turn.provenance.sampling.seed
    if seed is None:
        seed = request.sampling.seed
    if seed is not None:
        try:
            check_seed(seed)
        except RequestError:
            return replace(request, sampling=replace(request.sampling, seed=None)), seed
    if request.sampling.seed == seed:
        return request, None
    return replace(request, sampling=replace(request.sampling, seed=seed)), None


def _seed_note(unusable: int, result: GenerationResult) -> str:
    return (f"recorded seed {unusable} is not one llama.cpp uses as given (it reproduces no "
            f"answer), so this re-run sampled with a new seed {result.provenance.sampling.seed}")


def _score(backend: Backend, turn: Turn, request: ScoreRequest) -> tuple[ScoreRequest, ScoreResult]:
    """A score turn again: with its exact ids where the model reads them as recorded, else
    with none (the engine tokenises the continuation text)."""
    ids = request.continuation_ids
    if ids and not _same_model(backend, turn) and not in_vocabulary(backend, ids):
        request = replace(request, continuation_ids=())
    result = backend.score(request)
    if request.continuation_ids and not _same_model(backend, turn) \
            and tuple(s.piece for s in result.steps) != tuple(s.piece for s in turn.steps):
        request = replace(request, continuation_ids=())
        result = backend.score(request)
    return request, result


def rerun(source: Session, target: Session, backend: Backend, config: RunConfig,
          on_turn: Callable[[int, Turn], None] | None = None) -> list[Turn]:
    """Ask every turn of `source` again under `config`, journaling each into `target` at once."""
    preflight(source, config)
    index = TurnIndex(source)
    new_ids: dict[str, str] = {}
    done = []
    for number, turn in enumerate(source.turns, 1):
        model, adapters, system = resolve(turn, config)
        pieces: tuple[bytes, ...] | None = None
        unusable: int | None = None  # a recorded seed the engine cannot use
        request: Request
        result: Result
        try:
            _activate(backend, model, adapters)
            request = turn.request
            if isinstance(request, GenerationRequest):
                prefix, pieces = _branch_prefix(turn, index, backend, system)
                request, unusable = _seeded(turn, request)
                request = replace(request, system=system, continue_from=prefix)
                stream = backend.generate(request)
                for _ in stream:
                    pass
                if stream.result is None:
                    raise RerunError(f"The generation for turn {turn.id} ended without a result.")
                result = stream.result
            elif isinstance(request, ChoiceRequest):
                # The mode the numbers were read in: a journal from before modes decodes its
                # request with today's default (complete) but its result, rightly, as prefix.
                mode = getattr(turn.result, "mode", request.mode)
                request = replace(request, system=system, mode=mode)
                result = backend.choose(request)
            else:
                assert isinstance(request, ScoreRequest)
                request, result = _score(backend, turn, replace(request, system=system))
        except EngineError as exc:
            raise RerunError(f"Turn {number} ({turn.id}): {exc.msg}") from exc
        note = "" if failed(turn) else turn.note  # not the error it re-runs
        if unusable is not None and isinstance(result, GenerationResult):
            note = "; ".join(filter(None, (note, _seed_note(unusable, result))))
        new = record_turn(target, request, result, parent=new_ids.get(turn.parent or ""),
                          branch_position=turn.branch_position,
                          origin=TurnOrigin(source.id, turn.id), note=note,
                          forced_pieces=pieces or None)
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
    rescored_logprob: float  # sum over the answer's tokens under the new configuration
    rescored_turn: str | None  # the score turn journaled in the target session, if any
    # the model reads the recorded ids as other bytes, so the recorded text was tokenised again:
    # its tokens have no recorded counterparts (original_logprob None); compare the sums
    retokenized: bool = False

    @property
    def mean_delta(self) -> float:
        """Mean change per token; NaN for a re-tokenised answer (no tokens to pair)."""
        deltas = [t.delta for t in self.tokens if t.delta is not None]
        if self.retokenized:
            return math.nan
        return math.fsum(deltas) / len(deltas) if deltas else 0.0


@dataclass(frozen=True)
class RescoreReport:
    session: str
    config: str
    turns: tuple[TurnRescore, ...]
    skipped: tuple[str, ...]  # why some turns were not re-scored
    target: str | None


@dataclass(frozen=True)
class _Forcing:
    """What a re-score teacher-forces: a branch's forced prefix, then the answer."""

    prefix: tuple[int, ...]
    answer: tuple[int, ...]
    answer_steps: int  # how many recorded steps `answer` stands for
    retokenized: bool


def _rescored(turn: Turn, index: TurnIndex, backend: Backend, system: SystemPrompt
              ) -> tuple[ScoreRequest, ScoreResult, _Forcing] | str:
    """Score the recorded ids if the model reads them as the recorded bytes, else the recorded
    bytes tokenised again; a string says why neither works."""
    prefix = turn.request.continue_from if isinstance(turn.request, GenerationRequest) else ()
    prefix_pieces = forced_pieces(turn, index) if prefix else ()
    answer = tuple(s.id for s in turn.steps)
    raw_prompt = turn.request.raw_prompt if isinstance(turn.request, ScoreRequest) else None

    def score(forcing: _Forcing) -> tuple[ScoreRequest, ScoreResult, _Forcing]:
        request = ScoreRequest(turn.request.messages, continuation=turn.answer, system=system,
                               top_k_probs=getattr(turn.request, "top_k_probs", 10),
                               raw_prompt=raw_prompt,
                               continuation_ids=forcing.prefix + forcing.answer)
        return request, backend.score(request), forcing

    if _same_model(backend, turn):
        return score(_Forcing(prefix, answer, len(answer), False))
    if prefix_pieces is None:
        return (f"{_model_name(backend)} is another model, and the bytes of this branch's "
                "forced tokens are not recorded, so they can be neither checked nor tokenised "
                "again")
    if in_vocabulary(backend, prefix + answer):
        scored = score(_Forcing(prefix, answer, len(answer), False))
        recorded = prefix_pieces + tuple(s.piece for s in turn.steps)
        if tuple(s.piece for s in scored[1].steps) == recorded:
            return scored  # another model with the same tokenizer
    steps = turn.steps
    if isinstance(turn.result, GenerationResult) and turn.result.finish_reason == "stop":
        steps = steps[:-1]  # the end-of-text token: no text to tokenise
    forced, said = b"".join(prefix_pieces), b"".join(s.piece for s in steps)
    if complete_length(forced + said) != len(forced + said):
        return (f"{_model_name(backend)} reads token ids differently, and the answer's bytes "
                "are not whole UTF-8 text, so they cannot be tokenised again")
    cut = complete_length(forced) or 0  # a character the fork began belongs to the answer
    prefix_text, answer_text = forced[:cut].decode(), (forced[cut:] + said).decode()
    ids = tuple(backend.tokenize(answer_text)) if answer_text else ()
    if not ids:
        return "empty answer"
    return score(_Forcing(tuple(backend.tokenize(prefix_text)) if prefix_text else (), ids,
                          len(steps), True))


def rescore(source: Session, backend: Backend, config: RunConfig,
            target: Session | None = None,
            on_turn: Callable[[int, TurnRescore], None] | None = None) -> RescoreReport:
    """Teacher-force each saved answer under `config`; report per-token logprobs.

    The exact recorded ids are forced when the model reads them as the recorded bytes (the same
    model, or one with the same tokenizer); otherwise the recorded text is tokenised again and
    the turn says so (`retokenized`).
    """
    preflight(source, config)
    index = TurnIndex(source)
    results, skipped = [], []
    for number, turn in enumerate(source.turns, 1):
        if turn.kind is TurnKind.CHOICE:
            skipped.append(f"turn {number} ({turn.id}): a choice has no answer tokens to re-score")
            continue
        if not turn.steps:
            skipped.append(f"turn {number} ({turn.id}): empty answer")
            continue
        model, adapters, system = resolve(turn, config)
        try:
            _activate(backend, model, adapters)
            done = _rescored(turn, index, backend, system)
        except EngineError as exc:
            raise RerunError(f"Turn {number} ({turn.id}): {exc.msg}") from exc
        if isinstance(done, str):
            skipped.append(f"turn {number} ({turn.id}): {done}")
            continue
        request, result, forcing = done
        recorded = turn.steps[:forcing.answer_steps]
        originals = [None] * len(forcing.prefix) + (
            [None] * len(forcing.answer) if forcing.retokenized else [s.logprob for s in recorded])
        tokens = tuple(
            RescoredToken(i=s.i, id=s.id, text=s.text, original_logprob=o, logprob=s.logprob,
                          rank=s.rank, delta=None if o is None else s.logprob - o)
            for s, o in zip(result.steps, originals, strict=False)
        )
        saved = record_turn(target, request, result, origin=TurnOrigin(source.id, turn.id)) \
            if target is not None else None
        item = TurnRescore(
            turn=turn.id, prompt=turn.prompt, answer=turn.answer, tokens=tokens,
            original_logprob=math.fsum(s.logprob for s in recorded),
            rescored_logprob=math.fsum(t.logprob for t in tokens[len(forcing.prefix):]),
            rescored_turn=saved.id if saved else None,
            retokenized=forcing.retokenized,
        )
        results.append(item)
        if on_turn is not None:
            on_turn(number, item)
    return RescoreReport(source.id, config.describe(), tuple(results), tuple(skipped),
                         target.id if target is not None else None)
