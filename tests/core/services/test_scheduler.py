"""Timers on the mock clock: due jobs run in time order, cancelled ones never, broken ones alone."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mockserver.core.services.clock import Clock
from mockserver.core.services.scheduler import Job, Scheduler


def test_due_jobs_run_in_time_order_whatever_order_they_were_planned_in() -> None:
    clock = Clock(0.0, frozen=True)
    scheduler = Scheduler(clock)
    ran: list[str] = []
    scheduler.at(20, lambda: ran.append("late"))
    scheduler.at(10, lambda: ran.append("early"))
    scheduler.at(30, lambda: ran.append("not yet"))
    clock.advance(25)
    assert scheduler.run_due() == 2
    assert ran == ["early", "late"]
    assert scheduler.pending() == 1


def test_a_cancelled_job_never_runs() -> None:
    clock = Clock(0.0, frozen=True)
    scheduler = Scheduler(clock)
    ran: list[int] = []
    job = scheduler.after(5, lambda: ran.append(1))
    job.cancel()
    clock.advance(10)
    assert scheduler.run_due() == 0 and ran == []


def test_a_job_planned_for_now_by_a_job_runs_in_the_same_pass() -> None:
    clock = Clock(0.0, frozen=True)
    scheduler = Scheduler(clock)
    ran: list[str] = []
    scheduler.at(1, lambda: (ran.append("first"), scheduler.at(1, lambda: ran.append("second"))))
    clock.advance(1)
    assert scheduler.run_due() == 2 and ran == ["first", "second"]


def test_a_failing_job_does_not_stop_the_others() -> None:
    clock = Clock(0.0, frozen=True)
    scheduler = Scheduler(clock)
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    scheduler.at(1, broken)
    scheduler.at(2, lambda: ran.append("after"))
    clock.advance(5)
    assert scheduler.run_due() == 2 and ran == ["after"]


def test_every_job_runs_inside_the_context_the_runtime_gives_it() -> None:
    clock = Clock(0.0, frozen=True)
    scheduler = Scheduler(clock)
    seen: list[str] = []

    @contextlib.contextmanager
    def context(job: Job) -> Iterator[None]:
        seen.append(f"enter {job.key}")
        yield
        seen.append(f"exit {job.key}")

    scheduler.job_context = context
    scheduler.at(1, lambda: seen.append("work"), key="batch/1")
    clock.advance(1)
    scheduler.run_due()
    assert seen == ["enter batch/1", "work", "exit batch/1"]
