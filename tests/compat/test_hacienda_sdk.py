"""The public npm SDK @dojocoding/hacienda-sdk (pinned in package.json) against a live mock on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from mockserver.app import create_app
from mockserver.core.pipeline import VIOLATIONS
from tests.conftest import make_settings

HERE = Path(__file__).parent
pytestmark = pytest.mark.compat


def _node_ready() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (HERE / "node_modules" / "@dojocoding" / "hacienda-sdk").is_dir():
        return "run bin/setup (npm ci --prefix tests/compat) first"
    return None


async def test_hacienda_sdk_submits_polls_to_aceptado_and_sees_duplicate_404_and_list() -> None:
    missing = _node_ready()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the compat test must run in CI: {missing}")
        pytest.skip(missing)
    # a real clock with short delays: the SDK polls on its own timers
    settings = make_settings(
        clock_start=None,
        clock_frozen=False,
        provider_options={
            "hacienda": {
                "accept_status": 201,
                "access_token_ttl": 300,
                "refresh_token_ttl": 1800,
                "processing_delay": 0.2,
                "decision_delay": 0.3,
            }
        },
    )
    app = create_app(settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        process = await asyncio.create_subprocess_exec(
            "node",
            str(HERE / "hacienda_sdk_flow.mjs"),
            str(server.make_url("/hacienda")),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=HERE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        await server.close()
    assert process.returncode == 0, stderr.decode()
    seen: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    assert seen == {
        "token": True,
        "submission_status": 201,
        "final_status": "aceptado",
        "accepted": True,
        "rejection": None,
        "respuesta_has_clave": True,
        "duplicate": 400,
        "not_found": 404,
        "listed": True,
        "comprobante_emisor": "PRUEBAS SOCIEDAD ANONIMA",
    }
    assert app[VIOLATIONS] == [], "responses broke specs/hacienda"
