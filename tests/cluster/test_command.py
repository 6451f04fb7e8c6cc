"""`mockserver cluster`: one command starts N workers and HAProxy, starts a worker that dies again with
its state, stops everything on SIGTERM, and says which package is missing when HAProxy is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.process import ROOT, free_ports
from tests.cluster.conftest import haproxy_or_skip

BOLETA = {"documentTypeId": 1, "officeId": 1, "details": [{"netUnitValue": 1000, "quantity": 1}]}


def pids_of(marker: str) -> list[int]:
    """Processes whose command line holds `marker` (this run's state directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in line and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


def test_without_haproxy_the_command_ends_at_once_naming_the_package(tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    ended = subprocess.run(
        [sys.executable, "-m", "mockserver", "cluster", "--workers", "2"],
        cwd=ROOT,
        env={**os.environ, "PATH": str(bare)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ended.returncode == 2
    assert ended.stderr.strip().splitlines() == [
        "mockserver cluster needs HAProxy 2.6 or later: install Debian's `haproxy` package "
        "(apt-get install haproxy)"
    ]


@pytest.mark.parametrize("workers", ["127.0.0.1", "a=host name:80", "a=x:80\n    server evil 1.2.3.4:80"])
def test_a_typo_in_the_workers_is_reported_in_one_line(workers: str) -> None:
    ended = subprocess.run(
        [sys.executable, "-m", "mockserver", "cluster", "haproxy-config", "--workers", workers],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ended.returncode == 2
    assert "is not host:port" in ended.stderr and len(ended.stderr.strip().splitlines()) == 1
    assert ended.stdout == ""  # nothing a balancer could be given


def test_the_command_starts_a_dead_worker_again_with_its_state_and_stops_on_sigterm(tmp_path: Path) -> None:
    haproxy_or_skip()
    port = free_ports(3)
    state = tmp_path / "state"
    log = (tmp_path / "cluster.log").open("wb")
    argv = [sys.executable, "-m", "mockserver", "cluster", "--workers", "2", "--port", str(port)]
    command = subprocess.Popen(
        [*argv, "--state-dir", str(state), "--", "--rate-limits", "off"], cwd=ROOT, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/__admin/health").json().get("status") == "ok":
                    break
            except (httpx.TransportError, ValueError):
                pass
            assert time.monotonic() < deadline, (tmp_path / "cluster.log").read_text()
            time.sleep(0.1)
        key = next(
            f"restart-{n}"
            for n in range(100)
            if httpx.get(url + "/bsale/v1/documents.json", headers={"access_token": f"restart-{n}"}).headers[
                "X-Mock-Worker"
            ]
            == "w1"
        )
        made = httpx.post(url + "/bsale/v1/documents.json", json=BOLETA, headers={"access_token": key}).json()
        (worker,) = pids_of(str(state / "w1.sqlite"))
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:  # HAProxy holds or refuses the sandbox's requests until w1 is back: never a fresh one
            read = httpx.get(f"{url}/bsale/v1/documents/{made['id']}.json", headers={"access_token": key})
            assert read.status_code in (200, 503), read.text
            if read.status_code == 200:
                break
            assert time.monotonic() < deadline
        assert read.json()["id"] == made["id"]
        assert pids_of(str(state / "w1.sqlite")) not in ([], [worker])  # a new w1
        command.send_signal(signal.SIGTERM)
        assert command.wait(30) == 0
        assert pids_of(str(state)) == []  # HAProxy and every worker stopped with it
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
        log.close()
