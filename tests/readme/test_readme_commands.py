"""The README's shell blocks run as written, in order, against a live mock (only the port differs).

What cannot run here is listed below with the reason; any other block, a new one included, runs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.process import ROOT, free_ports, running

README = ROOT / "README.md"
# a block whose first line starts so → why it does not run here
NOT_RUN = {
    "bin/serve      #": "the quick start: bin/serve runs until stopped, and bin/test is this very suite",
    "docker build": "no Docker engine on this machine; CI's container-check builds and runs the image",
    "pip install latam-einvoicing-sandbox": "not on the index yet; .ci/user-check installs the built wheel",
    "# /etc/hosts": "edits the machine's host table; tests/providers/*/test_serving cover Host routing",
    "bin/serve --state-file": "a server that runs until stopped; tests/cli/test_state_file restarts one",
    "bin/serve cluster": "runs until stopped; tests/cluster/test_command starts, kills and stops one",
    "export MOCKSERVER_ADMIN_TOKEN": "no Docker engine on this machine; tests/cluster/test_deploy checks "
    "the compose file",
    "mockserver cluster keygen -": "needs a Kubernetes cluster; tests/cluster/test_deploy validates them",
    "mockserver cluster haproxy-config --resolvers": "rewrites a committed file; tests/cluster/test_deploy "
    "checks it is this command's output",
}


def _blocks() -> list[str]:
    return re.findall(r"```(?:sh|bash)\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _skipped(block: str) -> str | None:
    first = block.strip().splitlines()[0].strip()
    return next((why for start, why in NOT_RUN.items() if first.startswith(start)), None)


def test_every_block_not_run_here_is_listed_with_its_reason() -> None:
    blocks = _blocks()
    assert len(blocks) >= 8
    skipped = [b for b in blocks if _skipped(b)]
    assert len(skipped) == len(NOT_RUN)  # each listed reason still matches a block


@pytest.fixture(scope="module")
def live_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_ports()
    log = tmp_path_factory.mktemp("readme") / "mock.log"
    health = f"http://127.0.0.1:{port}/__admin/health"
    with running(["--port", str(port), "--seed", "7", "--log-level", "warning"], log, health=health):
        yield port


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq")), reason="the README's blocks use curl and jq"
)
def test_the_readme_shell_blocks_run_as_written(live_mock: int, tmp_path: Path) -> None:
    ran = 0
    for number, block in enumerate(_blocks()):
        if _skipped(block):
            continue
        script = block.replace("bin/serve &\n", "")  # the mock is already running
        script = re.sub(r"(127\.0\.0\.1|localhost):8080", rf"\g<1>:{live_mock}", script)
        script = script.replace(".venv/bin/python", sys.executable)
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            cwd=tmp_path,  # the files the blocks write (factura.json, boleta.pdf…) land here
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, (
            f"README block {number} failed:\n{block}\n{result.stdout}\n{result.stderr}"
        )
        assert "jq: error" not in result.stderr and "parse error" not in result.stderr, result.stderr
        ran += 1
    assert ran >= 6  # the five walk-throughs and the scenarios
    assert (tmp_path / "boleta.pdf").read_bytes().startswith(b"%PDF")  # what they fetched is real
    assert (tmp_path / "factura.pdf").read_bytes().startswith(b"%PDF")
