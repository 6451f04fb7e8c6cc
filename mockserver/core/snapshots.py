"""When snapshots (`core/snapshot.py`) are taken: every `EVERY` writes, `IDLE` seconds after the last
request, and at a clean stop.

Taking one must not stall the mock: it starts when no request is under way (new ones wait at most
`GATE_WAIT` for those running), in a forked child that pickles the copy-on-write image of the process
while the parent goes on serving; where there is no fork, in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import os
import signal
import stat
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from mockserver.core.snapshot import SnapshotError, capture, fingerprint, read, seq_of, write_atomically

if TYPE_CHECKING:
    from mockserver.core.runtime import Runtime

log = logging.getLogger("mockserver.persistence")

EVERY = 1000  # writes between snapshots; the most a restart after a crash replays, plus one child's run
IDLE = 1.0  # seconds without a request after which the writes since the last snapshot are taken too
GATE_WAIT = 0.25  # the longest a request waits for a snapshot to start; past it the snapshot waits


class Snapshots:
    """Takes a snapshot every `EVERY` writes, after `IDLE` seconds without requests, and at shutdown."""

    def __init__(self, runtime: Runtime, path: Path) -> None:
        self.runtime = runtime
        self.path = path
        self.running = 0  # requests under way: a snapshot waits for none to be
        self.taken = ("", 0)  # the log and the last write of it the newest snapshot includes
        self.last_request = time.monotonic()
        # of the code as it started: files changed under a running mock must not pass for its own
        self.print_ = fingerprint(runtime)
        self._gate: asyncio.Event | None = None  # while it is there and not set, new requests wait
        self._retry_at = 0  # after a wait that timed out: the write count to close the gate again at
        self._child: int | None = None
        self._pipe = -1
        self._child_took = ("", 0)

    def load(self) -> int:
        """At start: the last write the snapshot beside the state file includes, 0 without one."""
        for partial in self.path.parent.glob(f"{glob.escape(self.path.name)}.*.tmp"):
            partial.unlink(missing_ok=True)  # a child that was stopped half way
        if not self.path.exists():
            return 0
        try:
            seq = read(self.path, self.runtime, self.print_)
        except SnapshotError as error:
            log.warning("the snapshot %s is set aside (%s): replaying the whole write log", self.path, error)
            return 0
        self.taken = (self.runtime.store.log_id, seq)
        return seq

    # every request calls these around its work
    async def admit(self) -> None:
        gate = self._gate
        if gate is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gate.wait(), GATE_WAIT)
            if self._gate is gate:  # what runs does not end soon (a slow scenario): try again later
                gate.set()
                self._gate = None
                self._retry_at = self.runtime.store.last_seq + EVERY // 4
        self.running += 1

    def done(self) -> None:
        self.running -= 1
        self.last_request = time.monotonic()
        if not self._due(EVERY):
            return
        if self.running == 0:
            self._take()
        elif self._gate is None and self.runtime.store.last_seq >= self._retry_at:
            self._gate = asyncio.Event()  # closed: new requests wait until those running are done

    def _due(self, writes: int) -> bool:
        """Whether `writes` writes or more are in no snapshot (all of them, once a reset or an import
        has dropped the log the last one was taken of)."""
        self._reap()
        store = self.runtime.store
        log_id, seq = self.taken
        return self._child is None and store.last_seq - (seq if log_id == store.log_id else 0) >= writes

    def _take(self) -> None:
        seq = self.runtime.store.last_seq
        try:
            if hasattr(os, "fork"):
                self._fork(seq)
            else:
                self._save(seq)
        finally:
            if self._gate is not None:
                self._gate.set()
                self._gate = None

    def _fork(self, seq: int) -> None:
        print_ = self.print_
        reader, writer = os.pipe()
        with warnings.catch_warnings():  # the child only pickles and writes a file: no lock it needs
            warnings.simplefilter("ignore", DeprecationWarning)  # (3.12 warns when threads exist)
            pid = os.fork()
        if pid == 0:  # the child: a frozen copy of the state, pickled while the parent serves on
            code = 1
            try:
                _leave_signals_to_the_parent()
                _let_go_of_the_parents_sockets()
                write_atomically(self.path, capture(self.runtime, seq, print_))
                code = 0
            except BaseException as error:
                os.write(writer, f"{type(error).__name__}: {error}".encode()[:4000])
            os._exit(code)
        os.close(writer)
        os.set_blocking(reader, False)
        self._child, self._pipe, self._child_took = pid, reader, (self.runtime.store.log_id, seq)

    def _reap(self, wait: bool = False) -> None:
        if self._child is None:
            return
        try:
            pid, status = os.waitpid(self._child, 0 if wait else os.WNOHANG)
            code = os.waitstatus_to_exitcode(status)
        except ChildProcessError:  # someone else's waitpid(-1) reaped it: the file tells
            pid, code = self._child, 0 if seq_of(self.path) == self._child_took[1] else 1
        if pid == 0:
            return
        try:
            message = os.read(self._pipe, 4000).decode(errors="replace")
        except OSError:
            message = ""
        os.close(self._pipe)
        self._child = None
        if code == 0:
            self.taken = self._child_took
        else:
            log.error("a snapshot could not be taken: %s", message or f"exit status {code}")

    def _save(self, seq: int) -> None:
        try:
            write_atomically(self.path, capture(self.runtime, seq, self.print_))
        except Exception as error:
            log.error("a snapshot could not be taken: %s", error)
            return
        self.taken = (self.runtime.store.log_id, seq)

    async def run_when_idle(self) -> None:
        """In the background: the writes of a burst that ended are in a snapshot a second later."""
        while True:
            await asyncio.sleep(IDLE / 2)
            idle = time.monotonic() - self.last_request >= IDLE
            if idle and self.running == 0 and self._due(1):
                self._take()

    def close(self) -> None:
        """At shutdown: wait for a child under way, then take whatever it does not include."""
        self._reap(wait=True)
        if self.running == 0 and self._due(1):
            self._save(self.runtime.store.last_seq)


def _let_go_of_the_parents_sockets() -> None:
    """In a child: no copy of the listening socket or of a client's connection, so a parent killed
    outright (kill -9) refuses connections and resets the ones it had at once, rather than leaving
    them to hang until the snapshot is written; and the child goes with the parent (Linux)."""
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # no /proc: the copies stay until the child exits
        descriptors = []
    for fd in descriptors:
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _leave_signals_to_the_parent() -> None:
    """In a child: a Ctrl-C stops it outright, and no signal reaches the parent's event loop through the
    wake-up descriptor they share."""
    with contextlib.suppress(ValueError):  # (only the main thread may; a loop in another has none set)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
