"""Timers on the mock clock: jobs run when mock time reaches them, however the clock moves."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockserver.core.services.clock import ACTIVE, Clock, SandboxClock

log = logging.getLogger("mockserver.scheduler")


@dataclass(order=True, slots=True)
class Job:
    when: float
    seq: int
    fn: Callable[[], None] = field(compare=False)
    key: str = field(default="", compare=False)  # names the job's work, stable across a replay
    cancelled: bool = field(default=False, compare=False)
    kept: bool = field(default=True, compare=False)  # False: planned again after a restart, not saved
    clock: str = field(default="", compare=False)  # the sandbox clock it is due on; "": the mock's

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    """A heap of jobs; `run_due` is synchronous so an admin call can settle state before answering.

    A job planned while a sandbox's test clock is active is due on that clock, in a heap of its own, and
    runs with that clock active again."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[Job] = []
        self._clock_heaps: dict[str, list[Job]] = {}
        # the sandbox clocks by id (set by the runtime: the test clocks' registry)
        self.clock_of: Callable[[str], SandboxClock | None] = lambda ident: None
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        clock.subscribe(self._wake.set)
        # wraps each job: the runtime gives every job its own ids stream, named by its work
        self.job_context: Callable[[Job], contextlib.AbstractContextManager[None]] = lambda job: (
            contextlib.nullcontext()
        )

    def at(self, when: float, fn: Callable[[], None], key: str = "", *, kept: bool = True) -> Job:
        active = ACTIVE.get()
        job = Job(when, next(self._seq), fn, key, kept=kept, clock=active.id if active else "")
        heapq.heappush(self._clock_heaps.setdefault(active.id, []) if active else self._heap, job)
        self._wake.set()
        return job

    def release(self, clock: SandboxClock) -> None:
        """A test clock goes: its jobs fall due on the mock's clock, as far off as they were on it."""
        heap = self._clock_heaps.pop(clock.id, [])
        now = self.clock.own_now()
        for job in heap:
            job.when, job.clock = now + max(0.0, job.when - clock.at(now)), ""
            heapq.heappush(self._heap, job)
        self._wake.set()

    def after(self, delay: float, fn: Callable[[], None], key: str = "") -> Job:
        return self.at(self.clock.now() + delay, fn, key)

    def pending(self) -> int:
        heaps = (self._heap, *self._clock_heaps.values())
        return sum(1 for heap in heaps for job in heap if not job.cancelled)

    def saved(self) -> dict[str, Any]:
        """What a snapshot keeps (see `core.snapshot`): the jobs to come, but those planned again."""
        jobs = [job for job in self._heap if job.kept and not job.cancelled]
        by_clock = {
            ident: [job for job in heap if job.kept and not job.cancelled]
            for ident, heap in self._clock_heaps.items()
        }
        return {"jobs": jobs, "seq": next(self._seq), "clock_jobs": by_clock}

    def put_back(self, saved: dict[str, Any]) -> None:
        self._heap.extend(saved["jobs"])
        heapq.heapify(self._heap)
        for ident, jobs in saved["clock_jobs"].items():
            heap = self._clock_heaps.setdefault(ident, [])
            heap.extend(jobs)
            heapq.heapify(heap)
        self._seq = itertools.count(max(saved["seq"], next(self._seq)))
        self._wake.set()

    def clear(self) -> None:
        self._heap.clear()
        self._clock_heaps.clear()

    def run_due(self) -> int:
        """Run every job whose time has come, including jobs those jobs schedule for now."""
        # every request runs this first: with no test clock active, the mock's heap runs as it always did
        ran = self._run(self._heap) if ACTIVE.get() is None else self._on(None, self._heap)
        for ident, heap in list(self._clock_heaps.items()):
            sandbox_clock = self.clock_of(ident)
            if sandbox_clock is not None:
                ran += self._on(sandbox_clock, heap)
        return ran

    def _on(self, sandbox_clock: SandboxClock | None, heap: list[Job]) -> int:
        """Run `heap`'s due jobs with its clock active (None: the mock's)."""
        token = ACTIVE.set(sandbox_clock)
        try:
            return self._run(heap)
        finally:
            ACTIVE.reset(token)

    def _run(self, heap: list[Job]) -> int:
        ran = 0
        while heap and heap[0].when <= self.clock.now():  # the active clock's time: `heap`'s
            job = heapq.heappop(heap)
            if job.cancelled:
                continue
            try:
                with self.job_context(job):
                    job.fn()
            except Exception:  # a broken job must not stop the others
                log.exception("scheduled job failed")
            ran += 1
        return ran

    async def run_forever(self) -> None:
        while True:
            self.run_due()
            wait = self._next_wait()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _next_wait(self) -> float | None:
        """Real seconds until the next job is due on any clock (None: none is, until a clock moves)."""
        waits = []
        for ident, heap in (("", self._heap), *self._clock_heaps.items()):
            while heap and heap[0].cancelled:
                heapq.heappop(heap)
            if not heap:
                continue
            sandbox_clock = self.clock_of(ident) if ident else None
            if ident and sandbox_clock is None:
                continue
            when = heap[0].when
            if sandbox_clock is not None:
                due = sandbox_clock.global_time_of(when, self.clock.own_now())
                if due is None:
                    continue
                when = due
            wait = self.clock.real_seconds_until(when)
            if wait is not None:
                waits.append(wait)
        return min(waits, default=None)
