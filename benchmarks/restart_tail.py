"""What a restart after `kill -9` spends its time on: the snapshot, and the tail of writes after it.

usage: python benchmarks/restart_tail.py [--writes 60000]

A live mock (tuimprenta only, rate limits off, `--state-file`) takes `--writes` invoices from eight
clients and is killed outright; then, in this process, the runtime is built on the same state file
and each step of `persistence.restore` is timed on its own: loading the snapshot, reading the writes
after it, and replaying them (over loopback, as a restart does).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import tempfile
import time
from pathlib import Path

from live import free_port, start_mock
from persistence import burst

from mockserver.app import create_app
from mockserver.core import persistence as restore
from mockserver.core.runtime import Runtime
from mockserver.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writes", type=int, default=60_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.sqlite"
        port = free_port()
        flags = ("--providers", "tuimprenta", "--rate-limits", "off", "--state-file", str(state))
        process, _ = start_mock(port, *flags, timeout=600)
        print(asyncio.run(burst(port, args.writes, clients=8)))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        started = time.perf_counter()
        settings = Settings(providers=("tuimprenta",), rate_limits={"*": None}, state_file=state)
        runtime = Runtime.build(settings)
        create_app(settings, runtime=runtime, background=False)
        restore.open_store(runtime)
        built = time.perf_counter()
        assert runtime.snapshots is not None
        seq = runtime.snapshots.load()
        loaded = time.perf_counter()
        tail = runtime.store.writes(after=seq)
        read = time.perf_counter()
        asyncio.run(restore.replay(runtime, tail))
        replayed = time.perf_counter()
        print(
            f"build {built - started:.3f} s; snapshot of write {seq} loaded in {loaded - built:.3f} s; "
            f"{len(tail)} writes after it read in {read - loaded:.3f} s and replayed in "
            f"{replayed - read:.3f} s ({len(tail) / max(replayed - read, 1e-9):,.0f} a second)"
        )


if __name__ == "__main__":
    main()
