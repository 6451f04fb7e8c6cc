"""Live servers for the benchmarks: a free loopback port, start until healthy, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]


def free_port(span: int = 1) -> int:
    """A loopback port that is free, with the `span - 1` ports after it (`--port-per-provider` takes
    one per provider after the main port)."""
    import socket

    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
            if port + span > 65536:
                continue
            try:
                for following in range(port + 1, port + span):
                    with socket.socket() as t:
                        t.bind(("127.0.0.1", following))
            except OSError:
                continue
            return port


def start(
    command: list[str], health: str, *, timeout: float = 30, any_status: bool = False, log: Path | None = None
) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server; answers it and the seconds until `health` said 200 (`any_status`: any answer,
    for peers whose health URL is just a path they serve). Its output goes to `log` if given (else only
    stderr is kept), and is shown if it dies."""
    with log.open("w+b") if log else tempfile.TemporaryFile() as errors:  # the server keeps its own handle
        started = time.perf_counter()
        out = errors if log else subprocess.DEVNULL
        # a session of its own, so stopping it stops what it started too (the WireMock wrapper's JVM)
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=errors, start_new_session=True)
        while True:
            try:
                with urllib.request.urlopen(health, timeout=0.5) as response:
                    if response.status == 200:
                        return process, time.perf_counter() - started
            except urllib.error.HTTPError:
                if any_status:
                    return process, time.perf_counter() - started
            except OSError:
                pass
            if process.poll() is not None:
                errors.seek(0)
                raise RuntimeError(f"{command[0]} died: {errors.read().decode(errors='replace')}")
            if time.perf_counter() - started > timeout:
                stop(process)
                raise RuntimeError(f"{health} did not answer within {timeout:g} s")
            time.sleep(0.005)


def start_mock(
    port: int, *flags: str, timeout: float = 30, log: Path | None = None
) -> tuple[subprocess.Popen[bytes], float]:
    """mockserver on 127.0.0.1:`port`, quiet (warnings and errors to `log`); answers it and its seconds
    to healthy."""
    command = [sys.executable, "-m", "mockserver", "--port", str(port), "--log-level", "warning", *flags]
    return start(command, f"http://127.0.0.1:{port}/__admin/health", timeout=timeout, log=log)


async def receiver(
    path: str, hook: Callable[[web.Request], Awaitable[web.Response]]
) -> tuple[web.AppRunner, str]:
    """A local webhook receiver: `hook` answers POSTs to `path`; answers its runner and base URL."""
    app = web.Application()
    app.router.add_post(path, hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's whole process group (its children too), SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
