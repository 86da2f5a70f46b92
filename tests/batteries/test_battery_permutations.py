"""Orderings: every order up to the cap; beyond it, whole sets of cyclic rotations, so every option
sits in every position equally often."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import pytest

from sessions.batteries.permutations import balanced_orderings, rotations


def position_counts(orderings):
    return Counter((position, option) for ordering in orderings for position, option in enumerate(ordering))


@pytest.mark.parametrize(("n", "cap"), [(2, 24), (3, 6), (4, 24), (5, 120)])
def test_every_ordering_up_to_the_cap(n, cap):
    orderings = balanced_orderings(n, cap)
    assert len(set(orderings)) == len(orderings) == math.factorial(n)
    assert orderings == tuple(itertools.permutations(range(n)))  # lexicographic, the file's order first


@pytest.mark.parametrize(("n", "cap", "expected"), [
    (3, 5, 3), (4, 23, 20), (5, 24, 20), (5, 9, 5), (6, 24, 24), (10, 24, 20), (10, 3, 10), (2, 1, 2),
])
def test_beyond_the_cap_whole_rotation_sets(n, cap, expected):
    orderings = balanced_orderings(n, cap)
    assert len(orderings) == expected
    assert len(set(orderings)) == len(orderings)
    assert all(sorted(o) == list(range(n)) for o in orderings)
    counts = position_counts(orderings)
    assert set(counts.values()) == {len(orderings) // n}  # each option in each position equally often
    assert len(counts) == n * n
    assert orderings[:n] == rotations(tuple(range(n)))  # the file's order and its rotations first


def test_rotations_put_each_option_in_each_position_once():
    assert rotations((0, 1, 2)) == ((0, 1, 2), (1, 2, 0), (2, 0, 1))


def test_deterministic():
    assert balanced_orderings(7, 50) == balanced_orderings(7, 50)
