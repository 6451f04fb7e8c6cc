"""The mock as a real process for the command-line tests: free ports, start until healthy, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_ports(count: int = 1) -> int:
    """A base port with the next count-1 ports free too: --port-per-provider takes those after --port."""
    for _ in range(50):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
        probe.close()
        taken = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                taken.append(s)
                s.bind(("127.0.0.1", port))
            return int(base)
        except OSError:
            continue
        finally:
            for s in taken:
                s.close()
    raise RuntimeError("no run of free ports")


def wait_healthy(url: str, context: ssl.SSLContext | None = None) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1, context=context) as response:
                data: dict[str, object] = json.loads(response.read())
                return data
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def running(
    args: list[str],
    log: Path,
    *,
    health: str | None = None,
    env: dict[str, str] | None = None,
    expect_exit: int | None = 0,
) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m mockserver *args`, its output appended to `log`; waits for `health` when given. On the
    way out a SIGTERM if it still runs, and its exit code must be `expect_exit` (None: not checked)."""
    with log.open("ab") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", *args],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=err,
            stderr=err,
        )
    try:
        if health:
            wait_healthy(health)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
        if expect_exit is not None:
            assert code == expect_exit, log.read_text()
