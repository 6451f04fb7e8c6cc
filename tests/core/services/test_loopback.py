"""The replay's client: it sends a recorded request as recorded and reads any framing aiohttp answers
with (a length, chunks, a connection closed after it, a 100 Continue, no body), keeping one connection
while the server keeps it, and a dropped connection is status 0 with the next request on a new one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockserver.core.services.loopback import Loopback


@pytest.fixture
async def server() -> AsyncIterator[tuple[TestServer, list[tuple[web.Request, object]]]]:
    seen: list[tuple[web.Request, object]] = []

    async def echo(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        seen.append((request, request.transport.get_extra_info("peername")))
        body = await request.read()
        kind = request.match_info["kind"]
        if kind == "chunked":
            response = web.StreamResponse(status=201)
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(3):
                await response.write(b"x" * 5000)
            await response.write_eof()
            return response
        if kind == "close":
            return web.Response(status=202, body=body, headers={"Connection": "close"})
        if kind == "drop":
            request.transport.close()
            raise web.HTTPInternalServerError
        if kind == "empty":
            return web.Response(status=204)
        return web.Response(status=200, body=body)

    app = web.Application()
    app.router.add_route("*", "/{kind}", echo)
    test_server = TestServer(app, host="127.0.0.1", port=0)
    await test_server.start_server()
    yield test_server, seen
    await test_server.close()


async def test_a_request_goes_out_as_recorded_and_every_framing_is_read(
    server: tuple[TestServer, list[tuple[web.Request, object]]],
) -> None:
    test_server, seen = server
    client = Loopback("127.0.0.1", test_server.port or 0)
    headers = [("X-Thing", "ñ"), ("Content-Type", "application/json"), ("Content-Length", "999")]
    try:
        assert await client.request("POST", "/plain?a=%20b", headers, b'{"a": 1}') == 200
        assert await client.request("GET", "/chunked", [], b"") == 201
        assert await client.request("HEAD", "/plain", [], b"") == 200
        assert await client.request("DELETE", "/empty", [("Expect", "100-continue")], b"") == 204
        assert await client.request("PUT", "/close", [], b"abc") == 202
        assert await client.request("POST", "/drop", [], b"") == 0
        assert await client.request("PATCH", "/plain", [("Host", "api.example.test")], b"") == 200
    finally:
        client.close()
    requests, peers = [r for r, _ in seen], [p for _, p in seen]
    first = requests[0]
    assert first.headers["X-Thing"] == "ñ" and first.headers["Content-Length"] == "8"
    assert first.raw_path == "/plain?a=%20b" and first.headers["Host"] == f"127.0.0.1:{test_server.port}"
    assert "Content-Length" not in requests[1].headers  # a GET without a body says nothing of one
    assert requests[3].headers["Content-Length"] == "0" and "Expect" not in requests[3].headers
    assert requests[6].headers["Host"] == "api.example.test"
    # one connection until the server closed it, a new one after each close or drop
    assert len(set(peers[:5])) == 1 and len(set(peers[4:7])) == 3
