"""A session's records of one kind (turns, battery runs, comparisons), decoded on first access.

Why its own module: opening a session checks every line but parses only each record's head; the
bulk (token steps, results records, positions) is decoded when a record is first looked at.
Each kind keeps its checked entries in a `LazyRecords`; the journal appends to it as it writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar, overload

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Entry(Protocol[T_co]):
    """A line that passed its checks: its file line number, and the record it decodes to."""

    line: int

    def decode(self) -> T_co: ...


class DescribedEntry(Entry[T_co], Protocol[T_co]):
    def describe(self) -> str:
        """The record in one line, from its head alone."""
        ...


E = TypeVar("E", bound=Entry)
D = TypeVar("D", bound=DescribedEntry)


class LazyRecords(Sequence[T], Generic[E, T]):
    """Records in file order; each is decoded from its entry on first access, then kept."""

    def __init__(self, entries: list[E]) -> None:
        self._entries = entries
        self._cache: dict[int, T] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self._entries)
        record = self._cache.get(index)
        if record is None:
            record = self._entries[index].decode()
            self._cache[index] = record
        return record

    def entry(self, index: int) -> E:
        return self._entries[index]

    def _add(self, entry: E, record: T) -> None:
        """A record just written: its entry, and the record itself (nothing to decode)."""
        self._cache[len(self._entries)] = record
        self._entries.append(entry)


class DescribedRecords(LazyRecords[D, T]):
    """Records whose one-line description comes from their head, without decoding them."""

    def describe(self, index: int) -> str:
        return self._entries[index].describe()
