"""The command line as users run it: a real process, env variables, a port per provider, https, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import yaml
from cryptography import x509

from mockserver.options import settings_from_args
from tests.cli.process import ROOT, free_ports, running, wait_healthy


def test_every_flag_has_an_environment_variable(monkeypatch: object) -> None:
    env = {
        "MOCKSERVER_PORT": "9999",
        "MOCKSERVER_PROVIDERS": "bsale,tupana",
        "MOCKSERVER_SEED": "3",
        "MOCKSERVER_RATE_LIMITS": "off",
        "MOCKSERVER_HACIENDA_ACCEPT_STATUS": "202",
        "MOCKSERVER_TLS": "true",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = settings_from_args([])
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert (settings.port, settings.providers, settings.seed) == (9999, ("bsale", "tupana"), 3)
    assert settings.rate_limits == {"*": None}
    assert settings.provider_options["hacienda"]["accept_status"] == 202
    assert settings.tls is True


def test_port_per_provider_and_tls_in_a_real_process(tmp_path: Path) -> None:
    port = free_ports(6)
    flags = ["--port", str(port), "--port-per-provider", "--tls", "--tls-dir", str(tmp_path)]
    with running([*flags, "--log-level", "warning"], tmp_path / "stderr.log"):
        deadline = time.monotonic() + 20
        while not (tmp_path / "cert.pem").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        health = wait_healthy(f"https://localhost:{port}/__admin/health", context)
        assert health["status"] == "ok"
        # bsale is the third provider: alone on port + 3, at the root as on api.bsale.io
        request = urllib.request.Request(
            f"https://localhost:{port + 3}/v1/coins/count.json", headers={"access_token": "t"}
        )
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            assert json.loads(response.read()) == {"count": 3}
        cert = x509.load_pem_x509_certificate((tmp_path / "cert.pem").read_bytes())
        names = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.DNSName)
        assert {"localhost", "api.bsale.io", "api.tupana.ai", "idp.comprobanteselectronicos.go.cr"} <= set(
            names
        )


def test_the_compose_example_settings_and_health_check_work(tmp_path: Path) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["mockserver"]
    port = free_ports()
    env = {**service["environment"], "MOCKSERVER_STATE_FILE": str(tmp_path / "state.sqlite")}
    env["MOCKSERVER_PORT"] = str(port)
    with running([], tmp_path / "log", env=env, health=f"http://127.0.0.1:{port}/__admin/health"):
        check = [sys.executable if c == "python" else c for c in service["healthcheck"]["test"][1:]]
        check[-1] = check[-1].replace("8080", str(port))
        assert subprocess.run(check, timeout=10).returncode == 0
        assert (tmp_path / "state.sqlite").exists()


def test_sigterm_lets_a_request_in_flight_finish(tmp_path: Path) -> None:
    port = free_ports()
    health = f"http://127.0.0.1:{port}/__admin/health"
    args = ["--port", str(port), "--providers", "bsale", "--log-level", "debug"]
    with running(args, tmp_path / "log", health=health) as process:
        answers: list[int] = []

        def slow_read() -> None:  # the `slow` scenario holds the answer 2 s
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/bsale/v1/coins/count.json",
                headers={"access_token": "t", "X-Mock-Scenario": "slow"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                answers.append(response.status)

        reader = threading.Thread(target=slow_read)
        reader.start()
        # the signal goes once the mock says it is holding the answer, not after a guessed pause
        deadline = time.monotonic() + 10
        while "holds its answer" not in (tmp_path / "log").read_text(errors="replace"):
            assert time.monotonic() < deadline, "the slow request never reached the mock"
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        reader.join(timeout=10)
        assert answers == [200]
        process.wait(timeout=15)  # before `running` would send a second SIGTERM into the interpreter's exit


def test_a_malformed_http_request_is_refused_with_one_log_line(tmp_path: Path) -> None:
    port = free_ports()
    health = f"http://127.0.0.1:{port}/__admin/health"
    with running(["--port", str(port), "--providers", "bsale"], tmp_path / "log", health=health):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(b"GET /__admin/health HTTP/1.1\r\nHost: x\r\nX-Probe: \x00\r\n\r\n")
            assert raw.recv(64).startswith(b"HTTP/1.0 400")
        assert wait_healthy(health)["status"] == "ok"
    log = (tmp_path / "log").read_text()
    assert "refused a malformed HTTP request: 400" in log
    assert "Traceback" not in log


def test_the_loop_flag_serves_on_uvloop_by_default_and_on_asyncio_when_asked(tmp_path: Path) -> None:
    for flag, expected in (([], "(uvloop)"), (["--loop", "asyncio"], "(asyncio)")):
        port, log = free_ports(), tmp_path / f"{expected}.log"
        health = f"http://127.0.0.1:{port}/__admin/health"
        with running(["--port", str(port), "--providers", "bsale", *flag], log, health=health):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/bsale/v1/documents.json", headers={"access_token": "loop"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert json.loads(response.read())["count"] >= 0
        assert expected in log.read_text()


def test_a_loop_that_is_not_one_of_the_choices_ends_start_up(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "--loop", "trio"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "--loop" in done.stderr and "invalid choice" in done.stderr
