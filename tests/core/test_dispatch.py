"""The dispatcher routes as aiohttp's router would: for every provider's table, every path it serves
(with parameters of every shape, with and without its trailing slash, under every method) and paths it
does not, the route, the path parameters and the 404 or 405 (with its methods) are what an aiohttp
router given the same routes in the same order answers."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from aiohttp.web_urldispatcher import UrlDispatcher

from mockserver.core.dispatch import DISPATCH, REMEMBERED, REMEMBERED_PATH, Dispatcher, Table, Target
from mockserver.core.routing import build_provider_table
from mockserver.core.runtime import Runtime
from mockserver.settings import ALL_PROVIDERS
from tests.conftest import Mock, make_settings
from tests.providers.bsale.conftest import TOKEN

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
VALUES = ("123", "abc.json", "a%2Fb%25c", "ñandú")  # what a client may put where a parameter is


def _aiohttp_router(table: Table) -> tuple[UrlDispatcher, dict[Any, Target]]:
    router = UrlDispatcher()
    targets: dict[Any, Target] = {}
    for method, path, target in table.added:

        async def handler(request: web.Request) -> web.StreamResponse:
            raise AssertionError("not called")

        router.add_route(method, path, handler)
        targets[handler] = target
    return router, targets


def _probes(table: Table) -> set[str]:
    paths = {"/", "/nothing-here", "/v1", "/v1/", "/openapi.json/", "/%7Bid%7D"}
    for _, path, _ in table.added:
        for value in VALUES:
            concrete = re.sub(r"{[^}]*}", value, path)
            paths |= {concrete, concrete.rstrip("/") + "/", concrete.rstrip("/") or "/", concrete + "x"}
    return paths


@pytest.mark.parametrize("provider", ALL_PROVIDERS)
async def test_every_table_answers_what_aiohttp_s_router_answers(provider: str) -> None:
    runtime = Runtime.build(make_settings(providers=(provider,)))
    table = build_provider_table(runtime.providers[provider], "")
    router, targets = _aiohttp_router(table)
    probes = _probes(table)
    assert len(probes) > 50
    # the second time round, each answer is the one the table remembered
    for path in [*sorted(probes), *sorted(probes)]:
        for method in METHODS:
            request = make_mocked_request(method, path)
            expected = await router.resolve(request)
            target, params = table.resolve(method, request.rel_url.path_safe)
            error = expected.http_exception
            if error is None:
                assert targets[expected.handler] is target, (method, path)
                assert dict(params) == dict(expected), (method, path)
                continue
            assert target.route is table.fallback and not params, (method, path)
            with pytest.raises(web.HTTPException) as raised:
                await target.handler(request)
            assert type(raised.value) is type(error), (method, path)
            assert raised.value.headers.get("Allow") == error.headers.get("Allow"), (method, path)


def test_the_control_plane_is_never_a_provider_s_and_hosts_come_before_mounts(mock: Mock) -> None:
    dispatcher: Dispatcher = mock.app[DISPATCH]

    def where(path: str, host: str = "127.0.0.1:8080") -> tuple[str, str] | None:
        found = dispatcher.table_for(make_mocked_request("GET", path, headers={"Host": host}))
        return (found[0].prefix, found[1]) if found else None

    assert where("/__admin/health") is None
    assert where("/__admin/health", host="api.bsale.io") is None
    assert where("/bsale/v1/documents.json") == ("/bsale", "/v1/documents.json")
    assert where("/bsale") == ("/bsale", "")
    assert where("/bsalex/v1") is None and where("/") is None
    assert where("/v1/documents.json", host="API.BSALE.IO:443") == ("", "/v1/documents.json")
    assert where("/bsale/v1/documents.json", host="api.bsale.io") == ("", "/bsale/v1/documents.json")


async def test_what_a_table_remembers_stays_bounded_and_a_refusal_is_raised_anew() -> None:
    runtime = Runtime.build(make_settings(providers=("bsale",)))
    table = build_provider_table(runtime.providers["bsale"], "")
    for n in range(REMEMBERED + 50):
        table.resolve("GET", f"/v1/documents/{n}.json")
    assert 0 < len(table._resolved) <= REMEMBERED
    table.resolve("GET", "/v1/documents/" + "9" * REMEMBERED_PATH + ".json")
    assert all(len(path) <= REMEMBERED_PATH for _, path in table._resolved)
    first, _ = table.resolve("GET", "/nothing-here")
    again, _ = table.resolve("GET", "/nothing-here")
    assert again is first
    raised = []
    for _ in range(2):
        with pytest.raises(web.HTTPNotFound) as error:
            await again.handler(make_mocked_request("GET", "/nothing-here"))
        raised.append(error.value)
    assert raised[0] is not raised[1]  # a shared one would carry every earlier request's traceback


async def test_a_provider_request_is_answered_ahead_of_aiohttp_s_router(
    mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolved: list[str] = []
    real = UrlDispatcher.resolve

    async def counted(self: UrlDispatcher, request: web.Request) -> Any:
        resolved.append(request.path)
        return await real(self, request)

    monkeypatch.setattr(UrlDispatcher, "resolve", counted)
    headers = {"access_token": TOKEN}
    answer = await mock.client.get("/bsale/v1/documents.json", headers=headers)
    assert answer.status == 200 and (await answer.json())["count"] >= 0
    assert (await mock.client.get("/bsale/v1/nothing.json", headers=headers)).status == 404
    assert (await mock.client.get("/__admin/health")).status == 200
    # the control plane is still aiohttp's (its router, then the control plane's own)
    assert resolved and set(resolved) == {"/__admin/health"}


async def test_a_provider_request_that_expects_100_continue_gets_it_then_its_answer(mock: Mock) -> None:
    body = b'{"documentTypeId": 8}'
    head = (
        "POST /bsale/v1/documents.json HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
        f"access_token: {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", mock.client.port)
    try:
        writer.write(head.encode())
        await writer.drain()
        continued = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert continued == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(body)
        await writer.drain()
        status = await reader.readline()
        assert status.startswith(b"HTTP/1.1 400 "), status  # Bsale's own refusal of an incomplete document
        rest = await reader.readuntil(b"\r\n\r\n")
        assert b"application/json" in rest
    finally:
        writer.close()
    assert [e.status for e in mock.runtime.journal.query(provider="bsale")] == [400]
