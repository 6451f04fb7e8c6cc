"""Test clocks: a clock a test makes for its sandboxes (of one provider or several), moved on its own.
What an attached sandbox does reads its clock; a sandbox with none follows the mock's."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from mockserver.core.services.clock import (
    ACTIVE,
    Clock,
    SandboxClock,
    check_change,
    checked_advance,
    checked_moment,
)
from mockserver.core.services.shares import giver

# any test may make clocks: a shared mock keeps at most this many at once, and a sandbox's credential
# makes at most PER_SANDBOX of them; once all are made, they are shared out between sandboxes
# (`core/services/shares.py`), so sandboxes that make many cannot leave another without one
MAX_CLOCKS = 1_000
PER_SANDBOX = 20


class SandboxClocks:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.clocks: dict[str, SandboxClock] = {}
        self.attached: dict[tuple[str, str], str] = {}  # (provider, sandbox) → clock id

    def create(
        self,
        ident: str,
        name: str,
        at: float | None,
        sandboxes: Iterable[tuple[str, str]],
        owner: tuple[str, str] | None = None,
    ) -> SandboxClock:
        owned = Counter(c.owner for c in self.clocks.values() if c.owner is not None)
        if owner is not None and owned[owner] >= PER_SANDBOX:
            raise ValueError(f"this sandbox has {PER_SANDBOX} test clocks already: delete some first")
        if len(self.clocks) >= MAX_CLOCKS:
            # shared out: the sandbox with the most gives its newest clock up to one with fewer
            gives = giver(owned, owner) if owner is not None else None
            if gives is None:
                raise ValueError(f"{MAX_CLOCKS} test clocks exist already: delete some first")
            self.delete(next(c.id for c in reversed(self.clocks.values()) if c.owner == gives))
        now = self.clock.own_now()
        start = now if at is None else checked_moment(at)
        made = self.clocks[ident] = SandboxClock(ident, name, start, now, owner=owner)
        self.attach(ident, sandboxes)
        return made

    def get(self, ident: str) -> SandboxClock:
        found = self.clocks.get(ident)
        if found is None:
            raise KeyError(ident)
        return found

    def attach(self, ident: str, sandboxes: Iterable[tuple[str, str]]) -> None:
        """Attach sandboxes to the clock (a sandbox on another clock moves to this one)."""
        self.get(ident)
        for sandbox in sandboxes:
            self.attached[sandbox] = ident

    def detach(self, ident: str, sandboxes: Iterable[tuple[str, str]]) -> None:
        for sandbox in sandboxes:
            if self.attached.get(sandbox) == ident:
                del self.attached[sandbox]

    def sandboxes(self, ident: str) -> list[tuple[str, str]]:
        return sorted(s for s, held in self.attached.items() if held == ident)

    def delete(self, ident: str) -> SandboxClock:
        """The clock goes; its sandboxes follow the mock's clock again."""
        gone = self.get(ident)
        self.detach(ident, self.sandboxes(ident))
        del self.clocks[ident]
        return gone

    def clear(self) -> None:
        self.clocks.clear()
        self.attached.clear()

    def of(self, provider: str, tenant: str | None) -> SandboxClock | None:
        """The clock a sandbox is attached to, if any."""
        if not self.attached or tenant is None:
            return None
        ident = self.attached.get((provider, tenant))
        return self.clocks.get(ident) if ident else None

    def now_of(self, provider: str, tenant: str) -> float:
        """The time a sandbox reads, for a check made before its request is known to be its own (a
        token's expiry, an open download link's)."""
        own = self.clock.own_now()
        clock = self.of(provider, tenant)
        return own if clock is None else clock.at(own)

    @contextlib.contextmanager
    def entered(self, provider: str, tenant: str | None) -> Iterator[None]:
        """Run what follows on the sandbox's clock (the mock's, when it has none)."""
        token = ACTIVE.set(self.of(provider, tenant))
        try:
            yield
        finally:
            ACTIVE.reset(token)

    # --- moving a clock --------------------------------------------------------------------------------

    def move(self, ident: str, **change: Any) -> SandboxClock:
        """`set` (epoch), `freeze` (true/false), `speed`, `advance` (seconds), applied in that order."""
        clock, now = self.get(ident), self.clock.own_now()
        check_change(clock.at(now), change)
        if "set" in change:
            clock.moved(now, float(change["set"]))
        if change.get("freeze") is True and not clock.frozen:
            clock.moved(now, clock.at(now))
            clock.frozen = True
        elif change.get("freeze") is False and clock.frozen:
            clock.moved(now, clock.at(now))
            clock.frozen = False
        if "speed" in change:
            clock.moved(now, clock.at(now))
            clock.speed = float(change["speed"])
        if "advance" in change:
            clock.moved(now, checked_advance(clock.at(now), float(change["advance"])))
        self.clock.notify()
        return clock

    def saved(self) -> dict[str, Any]:
        return {"clocks": self.clocks, "attached": self.attached}

    def put_back(self, saved: dict[str, Any]) -> None:
        self.clocks, self.attached = saved["clocks"], saved["attached"]
