"""Three workers behind HAProxy on loopback, with the config `mockserver cluster haproxy-config` makes:
each worker a real `python -m mockserver` process with its own state file, which a test may kill -9
and start again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.cli.process import ROOT, free_ports, wait_healthy

ADMIN_TOKEN = "cluster-admin-token"


def haproxy_or_skip() -> str:
    found = shutil.which("haproxy")
    if found is None:
        if os.environ.get("MOCKSERVER_REQUIRE_HAPROXY"):  # CI installs it: there, its absence fails
            pytest.fail("haproxy is not installed (apt-get install haproxy)")
        pytest.skip("haproxy is not installed (apt-get install haproxy): the cluster is not tested here")
    return found


@dataclass
class Cluster:
    directory: Path
    port: int
    ports: dict[str, int]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    balancer: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def peers(self) -> str:
        return ",".join(f"{n}=127.0.0.1:{p}" for n, p in self.ports.items())

    def start(self, name: str) -> None:
        argv = [sys.executable, "-m", "mockserver", "--port", str(self.ports[name]), "--cluster", self.peers]
        argv += ["--state-file", str(self.directory / f"{name}.sqlite")]
        argv += ["--signing-key", str(self.directory / "key.pem"), "--admin-token", ADMIN_TOKEN]
        argv += ["--rate-limits", "off", "--log-level", "warning"]
        with (self.directory / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=log)
        wait_healthy(self.worker_url(name) + "/__admin/health")

    def kill(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait()

    def stop(self) -> None:
        for process in [self.balancer, *self.processes.values()]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)


def generated_config(ports: dict[str, int], port: int) -> str:
    workers = ",".join(f"{n}=127.0.0.1:{p}" for n, p in ports.items())
    argv = [sys.executable, "-m", "mockserver", "cluster", "haproxy-config", "--workers", workers]
    made = subprocess.run(
        [*argv, "--port", str(port), "--host", "127.0.0.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return made.stdout


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    haproxy = haproxy_or_skip()
    directory = tmp_path_factory.mktemp("cluster")
    subprocess.run(
        [sys.executable, "-m", "mockserver", "cluster", "keygen", str(directory / "key.pem")], check=True
    )
    base = free_ports(4)
    made = Cluster(directory, base, {f"w{n}": base + n for n in range(1, 4)})
    config = directory / "haproxy.cfg"
    config.write_text(generated_config(made.ports, base))
    try:
        for name in made.ports:
            made.start(name)
        with (directory / "haproxy.log").open("ab") as log:
            made.balancer = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(made.url + "/__admin/health", headers=admin()).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (directory / "haproxy.log").read_text()
            time.sleep(0.05)
        yield made
    finally:
        made.stop()


def admin() -> dict[str, str]:
    return {"X-Mock-Admin-Token": ADMIN_TOKEN}
