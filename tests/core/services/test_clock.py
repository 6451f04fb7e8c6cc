"""The mock clock: frozen, advanced, set, sped up, and carried across a restart."""

from __future__ import annotations

import pytest

from mockserver.core.services.clock import Clock, iso


def test_a_frozen_clock_stands_still_until_advanced() -> None:
    clock = Clock(1_000.0, frozen=True)
    assert clock.now() == clock.now() == 1_000.0
    clock.advance(30)
    assert clock.now() == 1_030.0


def test_the_clock_never_moves_backwards_by_advance_and_refuses_a_stopping_speed() -> None:
    clock = Clock(0.0, frozen=True)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="speed must be positive"):
        clock.set_speed(0)


def test_set_and_freeze_notify_every_listener() -> None:
    clock = Clock(0.0, frozen=True)
    heard: list[float] = []
    clock.subscribe(lambda: heard.append(clock.now()))
    clock.set(500.0)
    clock.freeze(700.0)
    assert heard == [500.0, 700.0]


def test_a_frozen_clock_never_reaches_a_future_time_in_real_seconds() -> None:
    clock = Clock(0.0, frozen=True)
    assert clock.real_seconds_until(10) is None
    assert clock.real_seconds_until(-5) == 0.0
    clock.unfreeze()
    clock.set_speed(10)
    waited = clock.real_seconds_until(clock.now() + 100)
    assert waited is not None and 9 < waited <= 10


def test_state_and_restore_carry_a_frozen_clock_exactly() -> None:
    first = Clock(12_345.0, frozen=True, speed=3)
    second = Clock(0.0)
    second.restore(first.state())
    assert second.now() == 12_345.0 and second.frozen and second.speed == 3


def test_iso_writes_utc_seconds_with_a_z() -> None:
    assert iso(0) == "1970-01-01T00:00:00Z"
    assert iso(1_700_000_000.9) == "2023-11-14T22:13:20Z"
