"""Logs: JSON lines with timestamps for machines, readable lines for people, and a light pytest plugin."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.cli.process import ROOT, free_ports, running


def _one_request(args: list[str], log: Path) -> list[str]:
    port = free_ports()
    health = f"http://127.0.0.1:{port}/__admin/health"
    with running(["--port", str(port), "--providers", "bsale", "--seed", "3", *args], log, health=health):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/bsale/v1/coins.json", headers={"access_token": "t"}
        )
        urllib.request.urlopen(request, timeout=10).read()
    return log.read_text().splitlines()


def test_json_lines_carry_a_timestamp_and_the_requests_fields(tmp_path: Path) -> None:
    lines = [json.loads(line) for line in _one_request(["--log-format", "json"], tmp_path / "log")]
    assert all(line["ts"].endswith("Z") and "T" in line["ts"] for line in lines)
    [access] = [line for line in lines if line.get("op") == "listCoins"]
    assert access["status"] == 200 and access["method"] == "GET" and access["tenant"].startswith("key-")
    assert access["replay"] is False
    banner = " ".join(line["msg"] for line in lines)
    assert "/bsale" in banner and "/__admin" in banner and "--seed 3" in banner and "in memory" in banner


def test_text_lines_are_readable(tmp_path: Path) -> None:
    lines = _one_request(["--log-format", "text"], tmp_path / "log")
    [access] = [line for line in lines if "listCoins" in line]
    assert " 200 GET /bsale/v1/coins.json " in access and not access.lstrip().startswith("{")


def test_loading_the_pytest_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, mockserver.pytest_plugin\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "heavy = {'aiohttp', 'jsonschema', 'cryptography', 'lxml', 'faker'} & loaded\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
