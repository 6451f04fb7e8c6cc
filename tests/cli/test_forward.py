"""`mockserver forward`: a running mock's webhooks reach a receiver the mock cannot reach, with the body
and signature the mock sent, once each, across a restart of the mock."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.cli.process import ROOT, free_ports, running
from tests.conftest import receiver

KEY = "ti_test_forward_0000000000000001"
INVOICE = {
    "series": "A",
    "customer": {"name": "C", "tax_id": "J-12345678-4"},
    "items": [{"description": "x", "qty": 1, "unit_price": 10.0}],
}


def _call(base: str, method: str, path: str, body: Any = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if path.startswith("/tuimprenta"):
        headers["Authorization"] = f"Bearer {KEY}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


async def _forwarder(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mockserver",
        "forward",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def _line(process: asyncio.subprocess.Process, containing: str, timeout: float = 20) -> str:
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout)).decode()
        assert line, f"forward ended before printing {containing!r}"
        if containing in line:
            return line


async def _until(got: list[Any], count: int, timeout: float = 20) -> None:
    for _ in range(int(timeout * 20)):
        if len(got) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(got)} deliveries arrived, not {count}")


async def test_forward_delivers_each_webhook_with_its_signature_intact(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    url, got = await receiver(aiohttp_server, status=204)
    port = free_ports()
    base = f"http://127.0.0.1:{port}"
    with running(
        ["--port", str(port), "--providers", "tuimprenta"],
        tmp_path / "mock.log",
        health=f"{base}/__admin/health",
    ):
        endpoint = {
            "tenant": KEY,
            "url": f"{base}/__admin/inbox/fwd",
        }  # the mock's own attempt lands in its inbox
        secret = _call(base, "POST", "/__admin/actions/tuimprenta/webhooks", endpoint)["secret"]
        forward = await _forwarder("--to", url, "--mock", base, "--provider", "tuimprenta", "--count", "2")
        await _line(forward, "forwarding")
        _call(base, "POST", "/tuimprenta/v1/invoices", INVOICE)
        _call(base, "POST", "/tuimprenta/v1/invoices", INVOICE)
        assert await asyncio.wait_for(forward.wait(), 20) == 0  # --count 2: it stops after two
        output = (await forward.stdout.read()).decode() if forward.stdout else ""
    assert len(got) == 2
    for body, headers in got:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Tuimprenta-Signature"] == expected  # signed by the mock, untouched on the way
        assert headers["X-Tuimprenta-Event"] == json.loads(body)["type"] == "invoice.issued"
    assert output.count("invoice.issued") == 2 and output.count("→ 204") == 2  # a line per delivery


async def test_forward_resumes_after_the_mock_restarts_without_a_repeat(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    url, got = await receiver(aiohttp_server, status=204)
    port = free_ports()
    base = f"http://127.0.0.1:{port}"
    flags = ["--port", str(port), "--providers", "tuimprenta", "--state-file", str(tmp_path / "state.sqlite")]
    log, health = tmp_path / "mock.log", f"{base}/__admin/health"
    with running(flags, log, health=health):
        # the mock's own attempts fail (nothing listens on port 9), so it will retry after the restart
        _call(
            base,
            "POST",
            "/__admin/actions/tuimprenta/webhooks",
            {"tenant": KEY, "url": "http://127.0.0.1:9/x"},
        )
        _call(base, "POST", "/__admin/clock", {"freeze": True})
        forward = await _forwarder("--to", url, "--mock", base)
        await _line(forward, "forwarding")
        _call(base, "POST", "/tuimprenta/v1/invoices", INVOICE)
        first = await _line(forward, "invoice.issued")
        await _until(got, 1)
    again = await _line(forward, "reconnecting")  # the mock stopped
    assert "dropped" in again
    with running(flags, log, health=health):
        await _line(forward, "forwarding", timeout=30)
        _call(base, "POST", "/__admin/clock", {"advance": 120})  # the first delivery's retry: a repeat
        _call(base, "POST", "/tuimprenta/v1/invoices", INVOICE)
        second = await _line(forward, "invoice.issued")
        await asyncio.sleep(1)  # time for a repeat to show, if there were one
        held = {d["id"]: d for d in _call(base, "GET", "/__admin/webhooks")["deliveries"]}
        forward.terminate()
        await forward.wait()
    delivery = first.split()[1]
    assert second.split()[1] != delivery
    assert len(held[delivery]["attempts"]) >= 2  # the mock did send it again after the restart
    numbers = [json.loads(body)["data"]["number"] for body, _ in got]
    assert numbers == [1, 2]  # each once, in order, the retried one not again


async def test_forward_says_what_is_wrong_with_its_flags_or_the_mock(tmp_path: Path) -> None:
    lonely = await _forwarder("--to", "http://127.0.0.1:9/x", "--tenant", "k")
    assert await asyncio.wait_for(lonely.wait(), 20) != 0
    assert b"--tenant names a sandbox of one provider" in (
        await lonely.stdout.read() if lonely.stdout else b""
    )
    odd = await _forwarder("--to", "http://127.0.0.1:9/x", "--header", "no colon here")
    assert await asyncio.wait_for(odd.wait(), 20) != 0
    assert b"is not 'Name: value'" in (await odd.stdout.read() if odd.stdout else b"")
    port = free_ports()
    base = f"http://127.0.0.1:{port}"
    flags = ["--port", str(port), "--providers", "tuimprenta", "--admin-token", "not-given"]
    with running(flags, tmp_path / "mock.log", health=f"{base}/__admin/health"):
        refused = await _forwarder("--to", "http://127.0.0.1:9/x", "--mock", base)
        assert await asyncio.wait_for(refused.wait(), 20) == 2
        said = (await refused.stdout.read()).decode() if refused.stdout else ""
    assert "the mock refused the stream: 401" in said


async def test_forward_never_follows_a_redirect_with_the_token() -> None:
    from aiohttp import web

    seen: list[dict[str, str]] = []

    async def elsewhere(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.Response(text="stolen")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.1:{other_port}/steal")

    other = web.Application()
    other.router.add_get("/steal", elsewhere)
    bouncer = web.Application()
    bouncer.router.add_get("/__admin/stream", redirect)
    bounce_port = free_ports(2)
    other_port = bounce_port + 1
    runners = [web.AppRunner(app) for app in (bouncer, other)]
    for runner, port in zip(runners, (bounce_port, other_port), strict=True):
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        mock = f"http://127.0.0.1:{bounce_port}"
        forwarder = await _forwarder("--to", "http://127.0.0.1:9/x", "--mock", mock, "--admin-token", "tok-1")
        assert await asyncio.wait_for(forwarder.wait(), 20) == 2
        said = (await forwarder.stdout.read()).decode() if forwarder.stdout else ""
    finally:
        for runner in runners:
            await runner.cleanup()
    assert "not followed" in said and seen == []
