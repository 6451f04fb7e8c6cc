"""Fair shares of what sandboxes share: journal entries, stream readers, test clocks, inbox messages.

Credentials are free (any well-formed one opens a sandbox), so no fixed split of a pool between
sandboxes can be right. Instead a full pool is shared out max-min: the holder with the most gives up
one of its own for a newcomer, so a sandbox that floods the mock loses its own oldest entries first,
and one that takes every reader or clock there is gives them up one by one to sandboxes that have
fewer. `Shares` counts who holds how many and finds the holder with the most, each in O(1).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Shares(Generic[K]):
    def __init__(self) -> None:
        self.counts: dict[K, int] = {}
        self.total = 0
        self._holding: dict[int, dict[K, None]] = {}  # by count, the holders with that many
        self._top = 0

    def of(self, holder: K) -> int:
        return self.counts.get(holder, 0)

    def add(self, holder: K, n: int = 1) -> None:
        had = self.counts.get(holder, 0)
        self._move(holder, had, had + n)
        self._top = max(self._top, had + n)

    def remove(self, holder: K, n: int = 1) -> None:
        had = self.counts[holder]
        self._move(holder, had, had - n)
        while self._top and not self._holding.get(self._top):
            self._top -= 1

    def replaces(self, holder: K) -> bool:
        """What `add(holder)` then `remove(largest())` does, in one step, when `holder` holds the most:
        its count stays, and it now reached that count last. Whether it held the most."""
        had = self.counts.get(holder, 0)
        if not had or had != self._top:
            return False
        tied = self._holding[had]
        del tied[holder]
        tied[holder] = None
        return True

    def largest(self) -> K | None:
        """The holder with the most (of those tied, the one that reached that many first)."""
        return next(iter(self._holding[self._top])) if self._top else None

    def giver(self, claimant: K) -> K | None:
        """Who gives up one for `claimant` when the pool is full (see `giver`)."""
        return giver(self.counts, claimant, self.largest())

    def clear(self) -> None:
        self.counts.clear()
        self._holding.clear()
        self.total = self._top = 0

    def _move(self, holder: K, had: int, has: int) -> None:
        if had:
            del self._holding[had][holder]
        if has:
            self._holding.setdefault(has, {})[holder] = None
            self.counts[holder] = has
        else:
            del self.counts[holder]
        self.total += has - had


def giver(counts: Mapping[K, int], claimant: K, largest: K | None = None) -> K | None:
    """Who gives up one of a full pool for `claimant`: the holder with the most (`largest`, when the
    caller knows it), if it would still hold more than the claimant after; None when the claimant
    already has its fair share."""
    if largest is None and counts:
        largest = max(counts, key=counts.__getitem__)
    if largest is None or counts[largest] <= counts.get(claimant, 0) + 1:
        return None
    return largest
