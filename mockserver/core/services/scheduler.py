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

from mockserver.core.services.clock import Clock

log = logging.getLogger("mockserver.scheduler")


@dataclass(order=True, slots=True)
class Job:
    when: float
    seq: int
    fn: Callable[[], None] = field(compare=False)
    key: str = field(default="", compare=False)  # names the job's work, stable across a replay
    cancelled: bool = field(default=False, compare=False)
    kept: bool = field(default=True, compare=False)  # False: planned again after a restart, not saved

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    """A heap of jobs; `run_due` is synchronous so an admin call can settle state before answering."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[Job] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        clock.subscribe(self._wake.set)
        # wraps each job: the runtime gives every job its own ids stream, named by its work
        self.job_context: Callable[[Job], contextlib.AbstractContextManager[None]] = lambda job: (
            contextlib.nullcontext()
        )

    def at(self, when: float, fn: Callable[[], None], key: str = "", *, kept: bool = True) -> Job:
        job = Job(when, next(self._seq), fn, key, kept=kept)
        heapq.heappush(self._heap, job)
        self._wake.set()
        return job

    def after(self, delay: float, fn: Callable[[], None], key: str = "") -> Job:
        return self.at(self.clock.now() + delay, fn, key)

    def pending(self) -> int:
        return sum(1 for job in self._heap if not job.cancelled)

    def saved(self) -> dict[str, Any]:
        """What a snapshot keeps (see `core.snapshot`): the jobs to come, but those planned again."""
        jobs = [job for job in self._heap if job.kept and not job.cancelled]
        return {"jobs": jobs, "seq": next(self._seq)}

    def put_back(self, saved: dict[str, Any]) -> None:
        self._heap.extend(saved["jobs"])
        heapq.heapify(self._heap)
        self._seq = itertools.count(max(saved["seq"], next(self._seq)))
        self._wake.set()

    def clear(self) -> None:
        self._heap.clear()

    def run_due(self) -> int:
        """Run every job whose time has come, including jobs those jobs schedule for now."""
        ran = 0
        while self._heap and self._heap[0].when <= self.clock.now():
            job = heapq.heappop(self._heap)
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
            while self._heap and self._heap[0].cancelled:
                heapq.heappop(self._heap)
            wait = self.clock.real_seconds_until(self._heap[0].when) if self._heap else None
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
