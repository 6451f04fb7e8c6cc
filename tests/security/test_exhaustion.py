"""Safe to share, item 11: what one client sends cannot exhaust what everyone else needs — sockets,
memory, sandboxes, inboxes or the webhook connection pool."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import time
import tracemalloc
import urllib.request
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.cli.process import free_ports, running
from tests.conftest import Mock


def test_a_connection_that_never_finishes_its_request_head_is_closed(tmp_path: Path) -> None:
    port = free_ports()
    base = f"http://127.0.0.1:{port}"
    with running(
        ["--port", str(port), "--header-timeout", "1"], tmp_path / "log", health=f"{base}/__admin/health"
    ):
        slow = []
        for _ in range(40):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /bsale/v1/coins.json HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        started = time.monotonic()
        for n in range(8):  # a header line at a time, never the blank line that ends the head
            for sock in slow:
                with contextlib.suppress(OSError):  # the server may have closed it already
                    sock.sendall(f"X-Slow-{n}: 1\r\n".encode())
            time.sleep(0.3)
        with urllib.request.urlopen(f"{base}/__admin/health", timeout=5) as answer:
            assert answer.status == 200  # everyone else is still served
        closed = 0
        for sock in slow:
            sock.settimeout(5)
            try:
                closed += sock.recv(1024) == b""
            except OSError:
                closed += 1
            sock.close()
        assert closed == len(slow) and time.monotonic() - started < 10


async def test_a_gzip_bomb_is_refused_without_inflating_it(make_mock: Any) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    bomb = gzip.compress(b'{"series": "' + b"A" * 200_000_000 + b'"}', compresslevel=9)
    assert len(bomb) < 300_000
    headers = {"Authorization": "Bearer k", "Content-Type": "application/json", "Content-Encoding": "gzip"}
    tracemalloc.start()
    try:
        response = await mock.client.post("/tuimprenta/v1/invoices", data=bomb, headers=headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status == 413 and (await response.json())["error"]["code"] == "E1005"
    assert peak < 24 * 1024 * 1024  # client and server together; 94 MB when it inflated in 10 MiB chunks
    small = gzip.compress(b'{"reason": "x"}')
    ok = await mock.client.post("/tuimprenta/v1/invoices", data=small, headers=headers)
    assert ok.status == 422  # a small compressed body is read as usual (and this one lacks fields)


async def test_reads_with_unknown_bsale_tokens_build_no_sandbox(make_mock: Any) -> None:
    mock: Mock = await make_mock(providers=("bsale",))
    for n in range(300):
        answer = await mock.client.get("/bsale/v1/documents.json", headers={"access_token": f"probe-{n}"})
        assert answer.status == 200 and (await answer.json())["count"] == 0
    offices = await mock.client.get("/bsale/v1/offices.json", headers={"access_token": "probe-x"})
    assert offices.status == 200 and (await offices.json())["count"] > 0  # the seed, as a new instance has
    assert mock.runtime.providers["bsale"].state.instances == {}
    made = await mock.client.post(
        "/bsale/v1/documents.json",
        json={"codeSii": 39, "details": [{"netUnitValue": 1000, "quantity": 1}]},
        headers={"access_token": "writer"},
    )
    assert made.status == 201 and len(mock.runtime.providers["bsale"].state.instances) == 1


async def test_a_receiver_that_never_answers_does_not_delay_another_receivers_webhooks(
    make_mock: Any, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    hang = asyncio.Event()
    arrived: list[float] = []

    async def stuck(request: web.Request) -> web.Response:
        await hang.wait()
        return web.Response()

    async def quick(request: web.Request) -> web.Response:
        arrived.append(time.monotonic())
        return web.Response()

    slow_app, fast_app = web.Application(), web.Application()
    slow_app.router.add_post("/", stuck)
    fast_app.router.add_post("/", quick)
    slow, fast = await aiohttp_server(slow_app), await aiohttp_server(fast_app)
    hooks = mock.runtime.webhooks
    for _ in range(120):  # more than a shared pool's 100 connections
        hooks.send(
            provider="tuimprenta", tenant="hostile", event="x", url=str(slow.make_url("/")), body=b"{}"
        )
    mock.runtime.scheduler.run_due()
    await asyncio.sleep(0.2)
    sent = time.monotonic()
    hooks.send(provider="tuimprenta", tenant="victim", event="x", url=str(fast.make_url("/")), body=b"{}")
    mock.runtime.scheduler.run_due()
    for _ in range(40):
        if arrived:
            break
        await asyncio.sleep(0.05)
    hang.set()
    assert arrived and arrived[0] - sent < 2
