"""The clock, the scheduler on it, and lifecycles in their three modes."""

from __future__ import annotations

import asyncio

import pytest

from mockserver.core.services.clock import Clock
from mockserver.core.services.lifecycle import Lifecycles, Mode, Step
from mockserver.core.services.scheduler import Scheduler


def test_frozen_clock_stands_still_until_advanced() -> None:
    clock = Clock(1000.0, frozen=True)
    assert clock.now() == 1000.0
    clock.advance(30)
    assert clock.now() == 1030.0
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_speed_multiplies_real_time() -> None:
    clock = Clock(0.0)
    clock.set_speed(1000)
    assert clock.real_seconds_until(clock.now() + 1000) == pytest.approx(1.0, rel=0.05)
    clock.set_speed(1)
    assert clock.real_seconds_until(clock.now() + 1000) == pytest.approx(1000, rel=0.05)


def test_real_seconds_until_is_none_while_frozen() -> None:
    clock = Clock(0.0, frozen=True)
    assert clock.real_seconds_until(10) is None
    assert clock.real_seconds_until(-1) == 0.0


def test_scheduler_runs_due_jobs_in_time_order_after_the_clock_jumps() -> None:
    clock = Clock(0.0, frozen=True)
    scheduler = Scheduler(clock)
    ran: list[str] = []
    scheduler.at(5, lambda: ran.append("b"))
    scheduler.at(2, lambda: ran.append("a"))
    job = scheduler.at(3, lambda: ran.append("cancelled"))
    job.cancel()
    assert scheduler.run_due() == 0
    clock.advance(10)
    scheduler.run_due()
    assert ran == ["a", "b"]


async def test_background_scheduler_follows_a_sped_up_clock() -> None:
    clock = Clock(0.0)
    clock.set_speed(100)
    scheduler = Scheduler(clock)
    fired = asyncio.Event()
    scheduler.after(5, fired.set)  # 5 mock seconds = 50 ms real
    task = asyncio.create_task(scheduler.run_forever())
    await asyncio.wait_for(fired.wait(), timeout=2)  # 2 s real would be 200 mock seconds
    task.cancel()
    assert fired.is_set() and 5 <= clock.now() < 200


def _engine(mode: Mode) -> tuple[Clock, Lifecycles, list[str]]:
    clock = Clock(0.0, frozen=True)
    engine = Lifecycles(Scheduler(clock), mode)
    seen: list[str] = []
    engine.start("p", "doc", "k1", [Step("processing", 1), Step("done", 2)], seen.append)
    return clock, engine, seen


def test_timed_lifecycle_steps_are_due_from_the_previous_step_even_after_a_jump() -> None:
    clock, engine, seen = _engine(Mode.TIMED)
    clock.advance(1)
    engine.scheduler.run_due()
    assert seen == ["processing"]
    clock.advance(1.5)
    engine.scheduler.run_due()
    assert seen == ["processing"]
    clock.advance(0.5)
    engine.scheduler.run_due()
    assert seen == ["processing", "done"]
    assert engine.pending() == []


def test_a_jump_over_every_step_runs_them_all() -> None:
    clock, engine, seen = _engine(Mode.TIMED)
    clock.advance(100)
    engine.scheduler.run_due()
    assert seen == ["processing", "done"]


def test_immediate_lifecycle_finishes_at_once() -> None:
    _, _, seen = _engine(Mode.IMMEDIATE)
    assert seen == ["processing", "done"]


def test_manual_lifecycle_moves_only_when_advanced() -> None:
    clock, engine, seen = _engine(Mode.MANUAL)
    clock.advance(1000)
    engine.scheduler.run_due()
    assert seen == []
    assert engine.advance("p", "doc") == 1
    assert seen == ["processing"]
    engine.advance("p", key="k1")
    assert seen == ["processing", "done"]
    assert engine.advance("p") == 0
