"""Orderings of a question's options: which order each prompt presents them in.

Why its own module: a model's answer to a multiple-choice question depends on where an option
sits (it may simply prefer "A"), and the only cure is averaging over orders in which every option
occupies every position equally often. The rule (docs/batteries.md, "Permutations"):

- n! <= cap: every ordering, in lexicographic order of the original indices (the file's own
  order first);
- beyond it: whole sets of n cyclic rotations (each option in each position exactly once), as
  many sets as fit under the cap but always at least one: the file's order rotated, then the
  reversed order rotated, then further base orders in lexicographic order whose rotations are
  not yet used. Every set is position-balanced, so any union of sets is too.

An ordering is a tuple of original indices: `ordering[position] = index into the options list`.
Pure code, deterministic, no randomness.
"""

from __future__ import annotations

import itertools
import math

Ordering = tuple[int, ...]


def rotations(base: Ordering) -> tuple[Ordering, ...]:
    """The n cyclic rotations of `base`, `base` itself first: each element in each position once."""
    n = len(base)
    return tuple(tuple(base[(position + shift) % n] for position in range(n)) for shift in range(n))


def all_orderings(n: int) -> tuple[Ordering, ...]:
    """Every ordering of n options, the identity first (lexicographic)."""
    return tuple(itertools.permutations(range(n)))


def balanced_orderings(n: int, cap: int) -> tuple[Ordering, ...]:
    """The orderings to present n options in, at most `cap` of them unless n rotations exceed it."""
    if n < 1:
        raise ValueError("need at least one option")
    if cap < 1:
        raise ValueError("cap must be at least 1")
    if math.factorial(n) <= cap:
        return all_orderings(n)
    identity = tuple(range(n))
    bases = itertools.chain((identity, identity[::-1]), itertools.permutations(range(n)))
    chosen: list[Ordering] = []
    used: set[Ordering] = set()
    for base in bases:
        if chosen and len(chosen) + n > cap:
            break
        if base in used:
            continue  # rotation sets are disjoint or equal: this one is taken already
        group = rotations(base)
        chosen.extend(group)
        used.update(group)
    return tuple(chosen)
