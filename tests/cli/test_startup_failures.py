"""Every bad flag, environment value and start-up failure: one line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.process import ROOT


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_clear_line(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mockserver: ") and "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "99999"], ["--port", "99999 is not a port"]),
        (["--port", "eighty"], ["'eighty' is not a whole number"]),
        (["--host", "256.1.1.1"], ["neither an IP address nor a host name"]),
        (["--state-file", "/no/such/dir/state.sqlite"], ["the directory /no/such/dir does not exist"]),
        (["--signing-key", "/no/such/key.pem"], ["no such file"]),
        (["--journal-size", "-3"], ["-3 must be at least 1"]),
        (["--providers", ""], ["name at least one of"]),
        (["--providers", "bsale,sii"], ["unknown provider(s) sii"]),
        (["--public-url", "not-a-url"], ["not an http(s) base URL"]),
        (["--hacienda-processing-delay", "-1"], ["must be zero or more seconds"]),
        (["--rate-limits", "bsale=fast"], ["bad rate limit 'fast'"]),
        (["--provider-ports", "bsale=9001", "--providers", "hacienda"], ["not among --providers"]),
        (["--no-such-flag"], ["unrecognized arguments: --no-such-flag"]),
    ],
)
def test_a_bad_flag_is_one_line_and_exit_2(args: list[str], expected: list[str]) -> None:
    _one_clear_line(_run(*args), *expected)


def test_a_bad_environment_value_is_one_line_and_exit_2() -> None:
    _one_clear_line(_run(env={"MOCKSERVER_RATE_LIMITS": "bogus"}), "--rate-limits", "bad rate limit 'bogus'")
    _one_clear_line(_run(env={"MOCKSERVER_PORT": "0"}), "0 is not a port")


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _one_clear_line(
            _run("--port", str(port)), f"cannot listen on 127.0.0.1:{port}", "address already in use"
        )


def test_a_signing_key_that_is_not_a_key_is_one_line_and_exit_2(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("not a key\n")
    _one_clear_line(_run("--signing-key", str(key)), "cannot start", "PEM private key")


def test_version_and_help_speak_to_users() -> None:
    version = _run("--version")
    assert version.returncode == 0 and version.stdout.startswith("mockserver ")
    helped = _run("--help")
    assert helped.returncode == 0
    assert "OPT__" not in helped.stdout and "--hacienda-processing-delay SECONDS" in helped.stdout
    assert "[MOCKSERVER_RATE_LIMITS]" in helped.stdout


def test_a_signing_key_that_is_not_rsa_stops_the_start(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = tmp_path / "ed25519.pem"
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key.write_bytes(pem)
    _one_clear_line(_run("--signing-key", str(key)), "cannot start", "must be an RSA private key")


@pytest.mark.parametrize(
    ("headers", "clock"),
    [("not json", '{"mock": 1, "real": 1}'), ('[["a", "b"]]', '{"x": 1}'), ("[1, 2]", '"now"')],
)
def test_a_state_file_holding_what_mockserver_never_writes_is_one_line_and_exit_2(
    tmp_path: Path, headers: str, clock: str
) -> None:
    import sqlite3

    from mockserver.core.services.store import SCHEMA

    path = tmp_path / "odd.sqlite"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO meta VALUES ('clock', ?)", (clock,))
    db.execute(
        "INSERT INTO writes (token, at, provider, method, target, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: E501
        ("t", 1.0, "bsale", "POST", "/bsale/v1/documents.json", headers, b"{}"),
    )
    db.commit()

    def rows() -> list[Any]:
        return [*db.execute("SELECT * FROM writes"), *db.execute("SELECT * FROM meta WHERE key = 'clock'")]

    before = rows()
    _one_clear_line(_run("--state-file", str(path), "--port", "1"), "--state-file", "left as it is")
    assert rows() == before  # nothing of it rewritten or lost
    db.close()
