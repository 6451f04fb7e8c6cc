"""Lifecycles by handle: state keeps what `start` gives and polls by it; a finished track is inert."""

from __future__ import annotations

from mockserver.core.services.clock import Clock
from mockserver.core.services.lifecycle import Lifecycles, Mode, Step
from mockserver.core.services.scheduler import Scheduler

STEPS = [Step("processing", 1.0), Step("done", 2.0)]


def _engine(mode: Mode) -> tuple[Clock, Scheduler, Lifecycles]:
    clock = Clock(0.0, frozen=True)
    scheduler = Scheduler(clock)
    return clock, scheduler, Lifecycles(scheduler, mode)


def test_polls_mode_moves_a_track_every_nth_read_of_its_handle() -> None:
    _, _, engine = _engine(Mode.TIMED)
    engine.set_mode("toy", "batch", Mode.POLLS, polls=2)
    entered: list[str] = []
    track = engine.start("toy", "batch", "b1", STEPS, entered.append)
    engine.poll(track)
    assert entered == []
    engine.poll(track)
    assert entered == ["processing"]
    engine.poll(track)
    engine.poll(track)
    assert entered == ["processing", "done"] and track.done
    engine.poll(track)  # finished: nothing more happens
    assert entered == ["processing", "done"]


def test_a_forgotten_track_is_not_moved_by_its_old_handle() -> None:
    _, _, engine = _engine(Mode.POLLS)
    engine.set_mode("toy", "batch", Mode.POLLS, polls=1)
    entered: list[str] = []
    track = engine.start("toy", "batch", "b1", STEPS, entered.append, tenant="t1")
    engine.forget("toy", "t1")
    engine.poll(track)
    engine.poll(None)
    assert entered == []


def test_a_read_counts_as_a_write_only_when_it_moved_a_poll_counter() -> None:
    _, _, engine = _engine(Mode.TIMED)
    track = engine.start("toy", "batch", "b1", STEPS, lambda s: None)
    engine.poll(track)  # timed: a read changes nothing
    assert engine.polls == 0
    engine.set_mode("toy", "*", Mode.POLLS, polls=5)
    engine.poll(track)
    assert engine.polls == 1


def test_timed_steps_fall_due_on_the_clock_and_immediate_ones_at_once() -> None:
    clock, scheduler, engine = _engine(Mode.TIMED)
    entered: list[str] = []
    engine.start("toy", "batch", "b1", STEPS, entered.append)
    clock.advance(1)
    scheduler.run_due()
    assert entered == ["processing"]
    clock.advance(2)
    scheduler.run_due()
    assert entered == ["processing", "done"]
    _, _, at_once = _engine(Mode.IMMEDIATE)
    now: list[str] = []
    assert at_once.start("toy", "batch", "b2", STEPS, now.append).done and now == ["processing", "done"]
