"""The one clock of the mock: real, frozen, advanced or sped up; every timer reads it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

EARLIEST = 0.0  # 1970-01-01T00:00:00Z
LATEST = 32503680000.0  # 3000-01-01T00:00:00Z: the latest a clock may be set or moved to
FASTEST = 10_000.0  # from LATEST, a clock this fast takes 22 years to outrun what a date can hold


def checked_moment(at: float) -> float:
    """A time a clock may be put at: what every provider's dates can still write."""
    if not EARLIEST <= at <= LATEST:  # NaN fails too
        raise ValueError(f"a clock's time must lie between {iso(EARLIEST)} and {iso(LATEST)}")
    return at


def checked_speed(speed: float) -> float:
    if not 0 < speed <= FASTEST:
        if speed <= 0:
            raise ValueError("speed must be positive (freeze the clock to stop it)")
        raise ValueError(f"speed must be at most {FASTEST:g}")
    return speed


def checked_advance(now: float, seconds: float) -> float:
    """Where advancing from `now` by `seconds` leads, if a clock may go there."""
    if seconds < 0:
        raise ValueError("the clock only moves forward")
    if not now + seconds <= LATEST:
        raise ValueError(f"a clock's time must lie between {iso(EARLIEST)} and {iso(LATEST)}")
    return now + seconds


def check_change(start: float, change: Mapping[str, Any]) -> None:
    """Every value of a move (`set` in epoch seconds, `speed`, `advance` from where `set` or `start`
    leaves it) checked before any applies, so a refused change leaves a clock as it was."""
    at = checked_moment(float(change["set"])) if "set" in change else start
    if "speed" in change:
        checked_speed(float(change["speed"]))
    checked_advance(at, float(change.get("advance", 0.0)))


def _real() -> float:
    return time.time()


def iso(moment: float) -> str:
    """Epoch seconds as the providers write times: UTC, to the second, with a `Z`."""
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class SandboxClock:
    """A sandbox's own time: frozen where it was put, or running from the mock's clock at its own speed.
    It follows the mock's clock (not the wall's), so a replayed write log reads the same times again."""

    id: str
    name: str
    mock_anchor: float  # its time when last moved...
    global_anchor: float  # ...and the mock clock's time then
    frozen: bool = True
    speed: float = 1.0
    owner: tuple[str, str] | None = None  # the sandbox whose credential made it (None: the admin)

    def at(self, global_now: float) -> float:
        """Its time when the mock's clock reads `global_now`."""
        if self.frozen:
            return self.mock_anchor
        return self.mock_anchor + (global_now - self.global_anchor) * self.speed

    def moved(self, global_now: float, to: float) -> None:
        self.mock_anchor, self.global_anchor = to, global_now

    def global_time_of(self, when: float, global_now: float) -> float | None:
        """When the mock's clock will read the moment this clock reaches `when` (None: never, frozen)."""
        if when <= self.at(global_now):
            return global_now
        if self.frozen:
            return None
        return self.global_anchor + (when - self.mock_anchor) / self.speed

    def snapshot(self, global_now: float) -> dict[str, object]:
        now = self.at(global_now)
        return {
            "id": self.id,
            "name": self.name,
            "now": iso(now),
            "epoch": now,
            "frozen": self.frozen,
            "speed": self.speed,
        }


# the sandbox clock what runs now reads (a request of an attached sandbox, a timer of its work); None:
# the mock's own clock
ACTIVE: ContextVar[SandboxClock | None] = ContextVar("mockserver_test_clock", default=None)


class Clock:
    """Mock time in epoch seconds; changes notify subscribers so timers can re-plan. Read while a
    sandbox's test clock is active (`ACTIVE`), `now` is that clock's time."""

    def __init__(self, start: float | None = None, *, frozen: bool = False, speed: float = 1.0) -> None:
        self._real_anchor = _real()
        self._mock_anchor = self._real_anchor if start is None else start
        self._frozen = frozen
        self._speed = speed
        self._listeners: list[Callable[[], None]] = []

    @property
    def frozen(self) -> bool:
        return self._frozen

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        active = ACTIVE.get()
        return self.own_now() if active is None else active.at(self.own_now())

    def own_now(self) -> float:
        """The mock's own time, whatever sandbox clock is active."""
        if self._frozen:
            return self._mock_anchor
        return self._mock_anchor + (_real() - self._real_anchor) * self._speed

    def notify(self) -> None:
        """Timers re-plan: a test clock moved."""
        self._notify()

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def freeze(self, at: float | None = None) -> None:
        self._rebase(self.own_now() if at is None else checked_moment(at))
        self._frozen = True
        self._notify()

    def unfreeze(self) -> None:
        self._rebase(self.own_now())
        self._frozen = False
        self._notify()

    def advance(self, seconds: float) -> None:
        self._rebase(checked_advance(self.own_now(), seconds))
        self._notify()

    def set(self, at: float) -> None:
        self._rebase(checked_moment(at))
        self._notify()

    def set_speed(self, speed: float) -> None:
        checked_speed(speed)
        self._rebase(self.own_now())
        self._speed = speed
        self._notify()

    def real_seconds_until(self, at: float) -> float | None:
        """How long, in real seconds, until mock time reaches `at`; None while frozen (never)."""
        delta = at - self.own_now()
        if delta <= 0:
            return 0.0
        if self._frozen:
            return None
        return delta / self._speed

    def snapshot(self) -> dict[str, object]:
        return {
            "now": self.utcnow().isoformat().replace("+00:00", "Z"),
            "epoch": self.own_now(),
            "frozen": self._frozen,
            "speed": self._speed,
        }

    def state(self) -> dict[str, float | bool]:
        """Enough to carry on after a restart: a running clock counts the time the process was down."""
        return {
            "mock": self._mock_anchor,
            "real": self._real_anchor,
            "frozen": self._frozen,
            "speed": self._speed,
        }

    def restore(self, state: dict[str, float | bool]) -> None:
        self._mock_anchor, self._real_anchor = float(state["mock"]), float(state["real"])
        self._frozen, self._speed = bool(state["frozen"]), float(state["speed"])
        self._notify()

    def _rebase(self, mock_now: float) -> None:
        self._real_anchor = _real()
        self._mock_anchor = mock_now

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()
