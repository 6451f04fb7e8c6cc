"""`mockserver cluster --workers N`: N workers on one machine and HAProxy in front of them.

Each worker is a mock of its own on 127.0.0.1 (the balancer's port + 1, + 2, …) with its own state
file under the state directory, so a worker that dies comes back with every write it acknowledged;
they share one signing key (a token or JWKS from any of them verifies against the others) and one
admin token. A worker that exits is started again; Ctrl-C or SIGTERM stops HAProxy, then the workers.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mockserver.cluster import haproxy
from mockserver.cluster.workers import Worker

log = logging.getLogger("mockserver.cluster")
INSTALL = (
    "mockserver cluster needs HAProxy 2.6 or later: install Debian's `haproxy` package "
    "(apt-get install haproxy)"
)


@dataclass
class Process:
    name: str
    argv: list[str]
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started: float = 0.0

    def start(self) -> None:
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self.started = time.monotonic()

    def exited(self) -> int | None:
        return self.popen.poll() if self.popen is not None else None


@dataclass
class Cluster:
    workers: list[Worker]
    directory: Path
    port: int
    host: str
    providers: tuple[str, ...]
    worker_args: Sequence[str] = ()
    admin_token: str | None = None
    processes: list[Process] = field(default_factory=list)
    stopping: bool = False

    def signing_key(self) -> Path:
        path = self.directory / "signing-key.pem"
        if not path.exists():
            write_key(path)
        return path

    def worker_argv(self, worker: Worker) -> list[str]:
        host, _, port = worker.address.rpartition(":")
        peers = ",".join(f"{w.name}={w.address}" for w in self.workers)
        argv = [sys.executable, "-m", "mockserver", "--host", host, "--port", port]
        argv += ["--providers", ",".join(self.providers), "--cluster", peers]
        argv += ["--state-file", str(self.directory / f"{worker.name}.sqlite")]
        argv += ["--signing-key", str(self.signing_key())]
        argv += ["--admin-token", self.admin_token or "off", *self.worker_args]
        return argv

    def write_config(self) -> Path:
        text = haproxy.generated(
            self.workers,
            providers=self.providers,
            port=self.port,
            host=self.host,
        )
        path = self.directory / "haproxy.cfg"
        path.write_text(text, encoding="utf-8")
        return path

    def run(self) -> int:
        config = self.write_config()
        check = subprocess.run(["haproxy", "-c", "-q", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise SystemExit(
                f"mockserver cluster: the generated config does not pass haproxy -c:\n{check.stderr}"
            )
        for worker in self.workers:
            self.processes.append(Process(worker.name, self.worker_argv(worker)))
        for process in self.processes:
            process.start()
        for worker in self.workers:
            wait_healthy(worker.address, 60)
        balancer = Process("haproxy", ["haproxy", "-db", "-W", "-f", str(config)])
        self.processes.append(balancer)
        balancer.start()
        shown = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        log.info(
            "mockserver cluster: %d workers behind HAProxy on http://%s:%d",
            len(self.workers),
            shown,
            self.port,
        )
        for worker in self.workers:
            log.info(
                "  %-10s http://%s (state %s)",
                worker.name,
                worker.address,
                self.directory / f"{worker.name}.sqlite",
            )
        if self.admin_token:
            log.info("  %-10s %s (X-Mock-Admin-Token)", "admin", self.admin_token)
        return self.watch()

    def watch(self) -> int:
        def stop(signum: int, frame: object) -> None:
            self.stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not self.stopping:
            for process in self.processes:
                code = process.exited()
                if code is not None and not self.stopping:
                    log.warning("%s exited (%s): starting it again", process.name, code)
                    if time.monotonic() - process.started < 1:
                        time.sleep(1)  # one that dies at once is not restarted in a tight loop
                    process.restarts += 1
                    process.start()
            time.sleep(0.1)
        self.shutdown()
        return 0

    def shutdown(self) -> None:
        for process in reversed(self.processes):  # the balancer first: nothing new reaches a worker
            if process.popen is not None and process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes:
            if process.popen is None:
                continue
            try:
                process.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()


def _die_with_parent() -> None:
    """A supervisor killed outright (kill -9) takes its workers and HAProxy with it (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def wait_healthy(address: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"http://{address}/__admin/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"mockserver cluster: the worker at {address} did not start")
        time.sleep(0.05)


def write_key(path: Path) -> None:
    """A 2048-bit RSA key for every worker, written once (a second writer finds it there)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    if str(path) == "-":  # for a secret store (`kubectl create secret … --from-file=…=/dev/stdin`)
        sys.stdout.buffer.write(pem)
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


def state_directory(given: Path | None) -> Path:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        return given
    return Path(tempfile.mkdtemp(prefix="mockserver-cluster-"))


def admin_token_for(host: str, given: str | None) -> str | None:
    """As one mock decides: none on loopback, one made now beyond it, unless given (or `off`)."""
    if given == "off":
        return None
    if given:
        return given
    return None if host in ("127.0.0.1", "localhost", "::1") else secrets.token_urlsafe(24)


def haproxy_missing() -> bool:
    return shutil.which("haproxy") is None
