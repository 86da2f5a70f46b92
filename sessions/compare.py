"""Position-by-position comparison of two answers: how far apart the two models' beliefs were.

A journal keeps only each position's top-k (plus the chosen token), not the whole vocabulary, so
the divergences are computed on a reconstructed pair of distributions over the union of both
top-k sets plus one "rest" bucket. A token one side lists and the other does not gets, on the
side that lacks it, a share of that side's unlisted mass, capped at that side's smallest listed
probability (it cannot be more likely than a token that made the top-k). What remains of the
unlisted mass stays in "rest". With full coverage (the top-k hold all the mass) the values are
exact; `shared` (how many top-k tokens both sides list) says how much to trust them.
Each pair also says when the two turns' numbers came from different backends or settings
(sessions/runtime_diff.py): then part of any divergence is the runtime's, not the configuration's.
See docs/session-format.md, "Comparing".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.types import TokenStep

from .journal import Session
from .model import Turn, TurnKind
from .runtime_diff import RuntimeDifference, runtime_differences, runtime_note

_FLOOR = 1e-12


@dataclass(frozen=True)
class PositionDiff:
    i: int
    a_id: int
    a_text: str
    a_prob: float
    b_id: int
    b_text: str
    b_prob: float
    kl_ab: float  # KL(A || B), nats
    kl_ba: float  # KL(B || A), nats
    js: float  # Jensen-Shannon divergence, nats (at most ln 2)
    shared: int  # tokens in both top-k lists


@dataclass(frozen=True)
class TurnComparison:
    a_turn: str
    b_turn: str
    kind: str
    same_prompt: bool  # identical prompt token ids (otherwise the contexts differ too)
    positions: tuple[PositionDiff, ...]
    first_divergence: int | None  # first position whose chosen tokens differ
    mean_js: float
    max_js: float
    max_js_position: int | None
    length_a: int
    length_b: int
    # The runtime facts (backend, flash attention, KV cache, micro-batch) the two turns' numbers
    # were computed under differently, and the same in one line ("" when none).
    runtime_differences: tuple[RuntimeDifference, ...] = ()
    runtime_note: str = ""


@dataclass(frozen=True)
class SessionComparison:
    a: str
    b: str
    paired_by: str  # "origin" (b re-runs a) or "position"
    turns: tuple[TurnComparison, ...]
    unpaired: int  # turns of either session without a partner


def _known(step: TokenStep) -> tuple[dict[int, float], float]:
    """The probabilities a step lists (its top-k and its chosen token) and its smallest top-k prob."""
    known = {alt.id: math.exp(alt.logprob) for alt in step.top}
    known.setdefault(step.id, math.exp(step.logprob))
    cap = min((math.exp(alt.logprob) for alt in step.top), default=1.0)
    return known, cap


def _fill(known: dict[int, float], cap: float, support: list[int]) -> list[float]:
    missing = [t for t in support if t not in known]
    rest = max(0.0, 1.0 - math.fsum(known.values()))
    share = min(cap, rest / (len(missing) + 1)) if missing else 0.0
    values = [known.get(t, share) for t in support]
    values.append(max(0.0, rest - share * len(missing)))
    return [max(v, _FLOOR) for v in values]


def _kl(p: list[float], q: list[float]) -> float:
    return max(0.0, math.fsum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True)))


def divergence(a: TokenStep, b: TokenStep) -> tuple[float, float, float, int]:
    """(KL(a||b), KL(b||a), JS, shared top-k tokens) between two positions' distributions."""
    known_a, cap_a = _known(a)
    known_b, cap_b = _known(b)
    support = sorted(set(known_a) | set(known_b))
    p = _fill(known_a, cap_a, support)
    q = _fill(known_b, cap_b, support)
    m = [(pi + qi) / 2 for pi, qi in zip(p, q, strict=True)]
    js = 0.5 * _kl(p, m) + 0.5 * _kl(q, m)
    shared = len({t.id for t in a.top} & {t.id for t in b.top})
    return _kl(p, q), _kl(q, p), min(js, math.log(2)), shared


def _choice_positions(a: Turn, b: Turn) -> tuple[PositionDiff, ...]:
    pa = [max(o.prob, _FLOOR) for o in a.result.options]  # type: ignore[union-attr]
    pb = [max(o.prob, _FLOOR) for o in b.result.options]  # type: ignore[union-attr]
    if len(pa) != len(pb):
        return ()
    m = [(x + y) / 2 for x, y in zip(pa, pb, strict=True)]
    best_a = max(range(len(pa)), key=pa.__getitem__)
    best_b = max(range(len(pb)), key=pb.__getitem__)
    opts_a, opts_b = a.result.options, b.result.options  # type: ignore[union-attr]
    return (PositionDiff(0, best_a, opts_a[best_a].text, pa[best_a], best_b, opts_b[best_b].text,
                         pb[best_b], _kl(pa, pb), _kl(pb, pa), 0.5 * _kl(pa, m) + 0.5 * _kl(pb, m),
                         len(pa)),)


def compare_turns(a: Turn, b: Turn) -> TurnComparison:
    """Compare two turns' answers position by position (choice turns: their option distributions)."""
    if a.kind is TurnKind.CHOICE and b.kind is TurnKind.CHOICE:
        positions = _choice_positions(a, b)
        first = next((p.i for p in positions if p.a_id != p.b_id), None)
    else:
        positions = tuple(
            PositionDiff(sa.i, sa.id, sa.text, sa.prob, sb.id, sb.text, sb.prob, *divergence(sa, sb))
            for sa, sb in zip(a.steps, b.steps, strict=False)
        )
        first = next((p.i for p in positions if p.a_id != p.b_id), None)
        if first is None and len(a.steps) != len(b.steps):
            first = min(len(a.steps), len(b.steps))  # one answer stopped, the other went on
    js = [p.js for p in positions]
    worst = max(range(len(js)), key=js.__getitem__) if js else None
    differences = runtime_differences(a.provenance.runtime, b.provenance.runtime)
    return TurnComparison(
        a_turn=a.id, b_turn=b.id, kind=a.kind.value if a.kind is b.kind else f"{a.kind.value}/{b.kind.value}",
        same_prompt=a.provenance.prompt_token_ids == b.provenance.prompt_token_ids,
        positions=positions, first_divergence=first,
        mean_js=math.fsum(js) / len(js) if js else 0.0,
        max_js=max(js, default=0.0), max_js_position=positions[worst].i if worst is not None else None,
        length_a=len(a.steps), length_b=len(b.steps),
        runtime_differences=differences, runtime_note=runtime_note(differences),
    )


def compare_sessions(a: Session, b: Session) -> SessionComparison:
    """Pair turns by origin when one session re-runs or re-scores the other, else by position."""
    pairs: list[tuple[Turn, Turn]] = []
    derived, base = (b, a) if _derived_from(b, a) else (a, b) if _derived_from(a, b) else (None, None)
    if derived is not None and base is not None:
        by_id = {t.id: t for t in base.turns}
        for turn in derived.turns:
            original = by_id.get(turn.origin.turn) if turn.origin else None
            if original is not None:
                pairs.append((original, turn) if base is a else (turn, original))
        paired_by = "origin"
    else:
        pairs = list(zip(a.turns, b.turns, strict=False))
        paired_by = "position"
    return SessionComparison(
        a=a.id, b=b.id, paired_by=paired_by,
        turns=tuple(compare_turns(x, y) for x, y in pairs),
        unpaired=len(a.turns) + len(b.turns) - 2 * len(pairs),
    )


def _derived_from(child: Session, parent: Session) -> bool:
    origin = child.header.origin
    return origin is not None and origin.session == parent.id
