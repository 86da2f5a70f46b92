"""The comparison's decoding loop: every lane one token further per round, each in its own KV sequence.

Why lockstep rather than one generation after another: the divergence at a position needs both
lanes' full logits rows at that position, and a row is n_vocab floats; kept for every position
of four answers it would be the n_ctx x n_vocab buffer we never allocate. In lockstep only the
current row of each lane is alive, and the pairs are measured as soon as the rows exist.

Each lane decodes exactly as a lone generation would (its adapters applied before each of its
decodes, its prompt in a KV sequence no other lane uses, its own sampler chain and seed), so its
answer and numbers are those `generate` gives it alone (tests check this on the real model).
Run inside the worker by LlamaBackend, whose decoding primitives it drives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import RequestError
from ..seeds import check_seed, random_seed
from ..types import GenerationResult, Provenance, SamplingSettings, SystemPrompt, TokenStep
from ..utf8 import Utf8Assembler
from .divergence import position_pairs, summarise_pairs
from .types import MAX_LANES, CompareLane, CompareRequest, CompareResult, CompareStep, RowsStep

if TYPE_CHECKING:
    from ..kv_sequences import KvSequence
    from ..llama_backend import LlamaBackend


@dataclass
class _Lane:
    lane: CompareLane
    seq: KvSequence
    logits: np.ndarray
    provenance: Provenance
    chain: Any  # the lane's llama.cpp sampler chain (None when teacher-forced)
    prompt_eval_s: float
    assembler: Utf8Assembler = field(default_factory=Utf8Assembler)
    steps: list[TokenStep] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    finish: str | None = None  # set once the lane has ended


def check_request(request: CompareRequest, n_sequences: int) -> None:
    names = [lane.name for lane in request.lanes]
    if not 1 <= len(names) <= MAX_LANES:
        raise RequestError(f"A comparison takes 1 to {MAX_LANES} configurations (got {len(names)}).")
    if len(set(names)) != len(names):
        raise RequestError(f"Each configuration of a comparison needs its own name (got {', '.join(names)}).")
    if len(names) > n_sequences:
        raise RequestError(
            f"Comparing {len(names)} configurations needs {len(names)} KV sequences, one each; the "
            f"model was loaded with {n_sequences} (raise --kv-sequences).")
    if request.forced_from and request.forced_from not in names:
        raise RequestError(f"--forced names {request.forced_from!r}, which is none of the configurations "
                           f"({', '.join(names)}).")
    if request.max_tokens < 0:
        raise RequestError("max_tokens must be >= 0")


def run_lockstep(backend: LlamaBackend, request: CompareRequest, cancelled: Callable[[], bool]
                 ) -> Iterator[CompareStep | CompareResult]:
    """Yield a CompareStep per position, then the CompareResult."""
    for item in _lockstep(backend, request, cancelled, with_rows=False):
        assert not isinstance(item, RowsStep)
        yield item


def run_lockstep_with_rows(backend: LlamaBackend, request: CompareRequest, cancelled: Callable[[], bool]
                           ) -> Iterator[RowsStep | CompareResult]:
    """Yield a RowsStep per position (the CompareStep with the lanes' logits rows), then the
    CompareResult: one worker's share of a comparison across models."""
    for item in _lockstep(backend, request, cancelled, with_rows=True):
        assert not isinstance(item, CompareStep)
        yield item


def _lockstep(backend: LlamaBackend, request: CompareRequest, cancelled: Callable[[], bool],
              with_rows: bool) -> Iterator[CompareStep | RowsStep | CompareResult]:
    check_request(request, backend.kv_sequence_count)
    forced = list(request.forced_ids)
    if request.forced_from:
        leader = next(lane for lane in request.lanes if lane.name == request.forced_from)
        alone = replace(request, lanes=(leader,), forced_ids=(), forced_from="")
        result = None
        for item in run_lockstep(backend, alone, cancelled):
            if isinstance(item, CompareResult):
                result = item
        assert result is not None
        forced = [s.id for s in result.lanes[0].steps]
        if not forced:
            raise RequestError(f"{leader.name!r} gave an empty answer: there are no tokens to score the others on.")
    for token in forced:
        if not 0 <= token < backend.n_vocab:
            raise RequestError(f"Token id {token} is outside this model's vocabulary ({backend.n_vocab}).")
    teacher_forced = bool(forced)
    lanes = _open_lanes(backend, request, teacher_forced, len(forced))
    started = time.perf_counter()
    limit = len(forced) if teacher_forced else request.max_tokens
    history: list[CompareStep] = []
    for position in range(limit):
        live = [lane for lane in lanes if lane.finish is None]
        if not live:
            break
        if cancelled():
            for lane in live:
                lane.finish = "cancelled"
            break
        steps: list[TokenStep | None] = [None] * len(lanes)
        rows: list[np.ndarray | None] = [None] * len(lanes)
        tokens: list[int | None] = [None] * len(lanes)
        for i, lane in enumerate(lanes):
            if lane.finish is not None:
                continue
            trace = None
            if teacher_forced:
                token = forced[position]
            else:
                token, trace = backend._sample_traced(lane.chain, lane.logits)
            ended = backend._is_end(token)
            quiet = backend._is_control(token) or (ended and not teacher_forced)
            text = "" if quiet else lane.assembler.feed(backend._piece(token))
            step = backend._step(position, token, text, lane.logits, request.top_k_probs, forced=teacher_forced,
                                 trace=trace)
            lane.steps.append(step)
            lane.text.append(text)
            steps[i], rows[i], tokens[i] = step, lane.logits, token
            if ended and not teacher_forced:
                lane.finish = "stop"
        compared = CompareStep(position, tuple(steps), position_pairs(rows, tokens))
        history.append(compared)
        yield RowsStep(compared, tuple(rows)) if with_rows else compared
        for lane, chosen in zip(lanes, tokens, strict=True):
            if lane.finish is not None or chosen is None:
                continue
            if position + 1 == limit:
                lane.finish = "forced" if teacher_forced else "length"
            elif len(lane.seq.tokens) + 1 >= backend.n_ctx:
                lane.finish = "context"
            else:
                backend.adapters.apply(lane.lane.configuration.adapters)
                lane.logits = backend._append(lane.seq, chosen).copy()
    generate_s = time.perf_counter() - started
    for lane in lanes:
        lane.finish = lane.finish or ("forced" if teacher_forced else "length")
    yield CompareResult(
        lanes=tuple(GenerationResult(
            steps=tuple(lane.steps), text="".join(lane.text), finish_reason=lane.finish or "length",
            provenance=lane.provenance,
            tokens_per_s=len(lane.steps) / generate_s if generate_s > 0 else 0.0,
            prompt_eval_s=lane.prompt_eval_s, generate_s=generate_s) for lane in lanes),
        names=tuple(lane.lane.name for lane in lanes),
        pairs=summarise_pairs(len(lanes), history),
        forced=teacher_forced,
    )


def _open_lanes(backend: LlamaBackend, request: CompareRequest, teacher_forced: bool,
                n_forced: int) -> list[_Lane]:
    """Each lane's prompt decoded into a sequence no other lane holds; its sampler chain seeded."""
    lanes: list[_Lane] = []
    for lane in request.lanes:
        system, messages = backend._configure(lane.configuration, SystemPrompt(), request.messages)
        prompt = backend.render(system, messages)
        tokens = list(prompt.token_ids)
        backend._check_fits(len(tokens) + (n_forced - 1 if teacher_forced else 0),
                            f"prompt of {lane.name!r}" + (" plus the forced answer" if teacher_forced else ""))
        sampling = lane.sampling
        if teacher_forced:
            sampling = SamplingSettings(temperature=0.0, seed=0)
        else:
            seed = random_seed() if sampling.seed is None else check_seed(sampling.seed)
            sampling = replace(sampling, seed=seed)
        seq = backend._sequences.acquire(backend.adapters.active_key(), tokens,
                                         avoid=frozenset(other.seq.seq_id for other in lanes))
        chain = None
        if not teacher_forced:
            assert sampling.seed is not None
            chain = backend._sampler(sampling, sampling.seed)
            for token in tokens[-sampling.repeat_last_n:] if sampling.repeat_penalty != 1.0 else ():
                chain.accept(token)
        started = time.perf_counter()
        logits = backend._evaluate(seq, tokens).copy()
        lanes.append(_Lane(lane=lane, seq=seq, logits=logits, chain=chain,
                           provenance=backend._provenance(system, prompt, sampling),
                           prompt_eval_s=time.perf_counter() - started))
    return lanes


__all__ = ["check_request", "run_lockstep", "run_lockstep_with_rows"]
