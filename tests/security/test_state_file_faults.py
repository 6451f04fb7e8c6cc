"""A state file that is not one, or is damaged, stops the start with one line and exit 2, and is kept
exactly as it was (never replayed in part, never rewritten)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.cli.process import ROOT, free_ports, running

BOLETA = (
    b'{"codeSii": 39, "details": [{"comment": "x", "netUnitValue": 1000, "quantity": 1, "taxId": "[1]"}]}'
)


@pytest.fixture(scope="module")
def good_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("state") / "good.sqlite"
    port = free_ports()
    args = ["--port", str(port), "--providers", "bsale", "--state-file", str(path), "--rate-limits", "off"]
    with running(args, path.with_suffix(".log"), health=f"http://127.0.0.1:{port}/__admin/health"):
        for _ in range(40):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/bsale/v1/documents.json",
                data=BOLETA,
                headers={"access_token": "t", "Content-Type": "application/json"},
            )
            urllib.request.urlopen(request, timeout=10).read()
    return path


def _start(path: Path) -> subprocess.CompletedProcess[str]:
    port = free_ports()
    command = [sys.executable, "-m", "mockserver", "--port", str(port), "--state-file", str(path)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30)


def _refused(path: Path) -> None:
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = _start(path)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"mockserver: cannot start: --state-file {path}: ") and "left as it is" in line
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_file_that_is_not_a_state_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "random.sqlite"
    path.write_bytes(os.urandom(8192))
    _refused(path)


def test_a_truncated_state_file_is_refused(tmp_path: Path, good_state: Path) -> None:
    path = tmp_path / "truncated.sqlite"
    path.write_bytes(good_state.read_bytes()[:4096])
    _refused(path)


@pytest.mark.parametrize("page", [1, 2, 4, 6])
def test_a_state_file_with_a_page_overwritten_is_refused(tmp_path: Path, good_state: Path, page: int) -> None:
    data = bytearray(good_state.read_bytes())
    assert len(data) > (page + 1) * 4096
    data[page * 4096 : (page + 1) * 4096] = os.urandom(4096)
    path = tmp_path / f"page{page}.sqlite"
    path.write_bytes(bytes(data))
    _refused(path)


def test_a_clean_stop_leaves_every_write_in_the_state_file_itself(good_state: Path) -> None:
    """Its write-ahead log checkpointed and gone: the file alone holds the 40 writes (copied or backed
    up by itself, it is whole)."""
    assert not good_state.with_name(good_state.name + "-wal").exists()
    assert len(good_state.read_bytes()) > 4 * 4096
