"""KV-cache sequences kept per adapter set and per prompt, so that switching configurations keeps
each one's cache.

A battery asks the same questions under several configurations, one after another, and a live
comparison asks one question under 2-4 configurations in turn. The keys and values a sequence
holds were computed under one set of active adapters, and are valid only under that set; before,
a switch dropped the whole cache and every configuration decoded its prompt from scratch again.
A llama.cpp context holds several sequences (one `seq_id` each; the backend gives each its own
stream of cells), so each adapter set, and within one adapter set each prompt that shares
little with the others (another system prompt, a trigger), gets its own sequence and finds its
tokens where it left them.

The key is the set of live adapters as (path, sha256, scale): an adapter re-trained at the same
path has another sha256, so its stale cells are never matched again (they age out like any other
sequence). System prompts and triggers change the tokens, not the weights: a request takes the
sequence of its adapter set that shares the longest token prefix with its prompt, and reuses that
prefix; when that would throw away most of a sequence's cache for little gain (less than half of
the new prompt is shared) and a sequence is unused, it takes the unused one, so that two
configurations with the same adapters and different system prompts keep a cache each.

Pure bookkeeping: the backend removes cells (`remove`) and decodes; this module decides which
sequence a request uses, which one is evicted (the least recently used) when all sequences are
taken or (with cells shared between sequences) the cells would run out, and keeps the logits at
the end of recent prompts so a fully cached prompt is not decoded again (decoding its last token
alone would also give slightly different numbers than the batch that computed it: the kernels
differ).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

AdapterKey = tuple[tuple[str, str, float], ...]
"""The live adapters: (real path, sha256, scale) of each one applied with a scale other than 0."""

PROMPT_ENDS_KEPT = 4  # prompt-end logits kept per sequence (choose, score, generate share prompts)


@dataclass
class KvSequence:
    """One llama.cpp sequence: the tokens its cells hold, in position order, and saved logits."""

    seq_id: int
    key: AdapterKey | None = None
    tokens: list[int] = field(default_factory=list)
    ends: dict[int, Any] = field(default_factory=dict)  # n tokens -> the logits after them
    last_used: int = 0
    canonical: int = 0  # leading tokens whose cells a prompt decode computed (in prompt blocks)

    def logits_after(self, n: int) -> Any | None:
        """The saved logits after the first `n` tokens, if any (the cells must still hold them)."""
        return self.ends.get(n)

    def remember(self, n: int, logits: Any) -> None:
        """Save the logits after the first `n` tokens (a copy: llama.cpp reuses its buffer)."""
        self.ends.pop(n, None)
        self.ends[n] = logits
        while len(self.ends) > PROMPT_ENDS_KEPT:
            del self.ends[next(iter(self.ends))]

    def truncate(self, n: int) -> None:
        """Forget every token from position `n` on (the caller removed their cells)."""
        del self.tokens[n:]
        self.canonical = min(self.canonical, n)
        for length in [length for length in self.ends if length > n]:
            del self.ends[length]


class KvSequences:
    """Which sequence each adapter set decodes into; `remove(seq_id, p0)` drops cells from p0 on
    (p0 = 0: the whole sequence) and returns False when llama.cpp could not."""

    def __init__(self, n_seq: int, n_cells: int, remove: Callable[[int, int], bool]) -> None:
        if n_seq < 1:
            raise ValueError("at least one sequence")
        self._sequences = [KvSequence(seq_id) for seq_id in range(n_seq)]
        self._n_cells = n_cells
        self._remove = remove
        self._clock = 0

    def acquire(self, key: AdapterKey, tokens: Sequence[int] = (), avoid: frozenset[int] = frozenset()
                ) -> KvSequence:
        """The sequence a request under adapter set `key` with prompt `tokens` decodes into.

        Of `key`'s sequences, the one sharing the longest prefix with `tokens`; but an empty
        sequence instead when that one would lose cells and shares less than half of `tokens`;
        with none of `key`'s, an empty one, else the least recently used one emptied. The
        caller's decode then reuses the shared prefix (`common_prefix`). Sequences whose ids are
        in `avoid` (held by the other lanes of a comparison) are never taken.
        """
        self._clock += 1
        free = [s for s in self._sequences if s.seq_id not in avoid]
        if not free:
            raise ValueError("every KV sequence is held")
        own = [s for s in free if s.key == key]
        best = max(own, key=lambda s: (common_prefix(s.tokens, tokens), s.last_used), default=None)
        if best is not None:
            shared = common_prefix(best.tokens, tokens)
            if shared < len(best.tokens) and 2 * shared < len(tokens) \
                    and self._spare(free) is not None:
                best = None  # keep its cache: a spare sequence is taken below
        sequence = best
        if sequence is None:
            sequence = self._spare(free) or min(free, key=lambda s: s.last_used)
            self.empty(sequence)
            sequence.key = key
        sequence.last_used = self._clock
        return sequence

    @staticmethod
    def _spare(candidates: list[KvSequence]) -> KvSequence | None:
        """A sequence never used, else the least recently used one that holds nothing."""
        empty = sorted((s for s in candidates if not s.tokens), key=lambda s: (s.key is not None, s.last_used))
        return empty[0] if empty else None

    def __len__(self) -> int:
        return len(self._sequences)

    def cut(self, sequence: KvSequence, n: int) -> int:
        """Remove `sequence`'s cells from position `n` on; returns how many tokens it keeps (0 if
        llama.cpp could not remove part of it, and it was emptied)."""
        if n >= len(sequence.tokens):
            return len(sequence.tokens)
        if n > 0 and self._remove(sequence.seq_id, n):
            sequence.truncate(n)
            return n
        self._remove(sequence.seq_id, 0)
        sequence.truncate(0)
        return 0

    def empty(self, sequence: KvSequence) -> None:
        """Drop all of `sequence`'s cells; it keeps its key."""
        if sequence.tokens:
            self._remove(sequence.seq_id, 0)
        sequence.truncate(0)
        sequence.ends.clear()

    def make_room(self, sequence: KvSequence, n_new: int) -> None:
        """Empty other sequences, least recently used first, until `n_new` more cells fit."""
        others = sorted((s for s in self._sequences if s is not sequence and s.tokens),
                        key=lambda s: s.last_used)
        while others and self.cells_used() + n_new > self._n_cells:
            self.empty(others.pop(0))

    def evict_others(self, sequence: KvSequence) -> bool:
        """Empty every other sequence; False when none held anything (nothing was freed)."""
        freed = False
        for other in self._sequences:
            if other is not sequence and other.tokens:
                self.empty(other)
                freed = True
        return freed

    def forget_all(self) -> None:
        """After the whole memory was cleared: every sequence empty and unassigned."""
        for sequence in self._sequences:
            sequence.truncate(0)
            sequence.ends.clear()
            sequence.key = None

    def cells_used(self) -> int:
        return sum(len(s.tokens) for s in self._sequences)

    def held(self) -> dict[int, int]:
        """seq_id -> tokens cached, for tests and diagnostics."""
        return {s.seq_id: len(s.tokens) for s in self._sequences}


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
