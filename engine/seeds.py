"""Sampler seeds: the values llama.cpp uses as given, so a recorded seed reproduces its answer.

llama.cpp takes a uint32 seed and treats 0xFFFFFFFF (LLAMA_DEFAULT_SEED) as "pick a random one";
through ctypes, -1 becomes exactly that and 2**32 or more wraps silently. Either way the journal
would record a seed that does not reproduce the answer, so such seeds are refused.
"""

from __future__ import annotations

import secrets

from .errors import RequestError

MAX_SEED = 0xFFFFFFFE  # 0xFFFFFFFF means "random" to llama.cpp


def check_seed(seed: object) -> int:
    """`seed` itself when llama.cpp uses it as given; RequestError otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise RequestError(f"The sampler seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}.")
    return seed


def random_seed() -> int:
    """A seed for a request that gave none (recorded, so the answer can be reproduced)."""
    return secrets.randbits(31)
