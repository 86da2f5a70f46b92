"""KvSequences' bookkeeping: which sequence an adapter set gets, which one is emptied to make room,
and what a failed partial removal leaves (no model: the removals are recorded)."""

from __future__ import annotations

from engine.kv_sequences import KvSequences

A = (("/a.gguf", "sha-a", 1.0),)
B = (("/b.gguf", "sha-b", 1.0),)
C = (("/a.gguf", "sha-a", 0.5),)
A_RETRAINED = (("/a.gguf", "sha-a2", 1.0),)


def sequences(n_seq=2, n_cells=10, partial_ok=True):
    removed: list[tuple[int, int]] = []

    def remove(seq_id: int, p0: int) -> bool:
        removed.append((seq_id, p0))
        return partial_ok or p0 == 0

    return KvSequences(n_seq, n_cells, remove), removed


def test_each_adapter_set_keeps_its_sequence_and_the_least_recently_used_is_emptied():
    kv, removed = sequences()
    a = kv.acquire(A)
    a.tokens.extend([1, 2, 3])
    b = kv.acquire(B)
    b.tokens.extend([4, 5])
    assert b.seq_id != a.seq_id and kv.acquire(A) is a and a.tokens == [1, 2, 3] and not removed
    c = kv.acquire(C)  # both taken: B was used least recently
    assert c is b and c.key == C and c.tokens == [] and removed == [(b.seq_id, 0)]
    c.tokens.extend([6])
    assert kv.acquire(A_RETRAINED) is a and a.tokens == []  # another sha256 is another set


def test_make_room_empties_other_sequences_oldest_first_until_the_tokens_fit():
    kv, removed = sequences(n_seq=3, n_cells=10)
    old, recent, current = kv.acquire(A), kv.acquire(B), kv.acquire(C)
    old.tokens.extend(range(4))
    recent.tokens.extend(range(4))
    kv.make_room(current, 3)  # 8 + 3 > 10: the oldest goes, the recent one stays
    assert removed == [(old.seq_id, 0)] and recent.tokens and kv.cells_used() == 4
    kv.make_room(current, 20)  # more than fits at all: everyone else goes, the caller refuses later
    assert kv.cells_used() == 0


def test_cut_keeps_the_prefix_and_its_saved_logits_or_empties_the_sequence_when_it_cannot():
    kv, removed = sequences()
    a = kv.acquire(A)
    a.tokens.extend(range(6))
    a.remember(3, "after 3")
    a.remember(6, "after 6")
    assert kv.cut(a, 3) == 3 and a.tokens == [0, 1, 2] and a.logits_after(3) == "after 3"
    assert a.logits_after(6) is None and removed == [(a.seq_id, 3)]
    stubborn, removed = sequences(partial_ok=False)
    s = stubborn.acquire(A)
    s.tokens.extend(range(6))
    assert stubborn.cut(s, 3) == 0 and s.tokens == [] and removed == [(s.seq_id, 3), (s.seq_id, 0)]


def test_a_prompt_that_shares_little_takes_an_empty_sequence_rather_than_destroy_a_cache():
    # Two configurations with the same adapters and different system prompts (a battery run
    # interleaved, a live comparison): each keeps a sequence of its own while one is empty.
    kv, removed = sequences(n_seq=3, n_cells=100)
    base = kv.acquire(A, [1, 2, 3, 4, 5, 6])
    base.tokens.extend([1, 2, 3, 4, 5, 6])
    custom = kv.acquire(A, [1, 9, 9, 9, 9, 9])
    assert custom is not base and base.tokens == [1, 2, 3, 4, 5, 6] and not removed
    custom.tokens.extend([1, 9, 9, 9, 9, 9])
    assert kv.acquire(A, [1, 2, 3, 4, 5, 6, 7]) is base  # the longest shared prefix wins
    assert kv.acquire(A, [1, 9, 9, 9, 9, 9]) is custom
    # An edit late in a long conversation reuses its prefix instead of starting over.
    assert kv.acquire(A, [1, 2, 3, 4, 5, 8]) is base
    # No empty sequence left: the best of A's sequences is reused even for a short prefix.
    other = kv.acquire(B, [7])
    other.tokens.append(7)
    assert kv.acquire(A, [1, 5, 5, 5, 5, 5]) in (base, custom) and not removed
