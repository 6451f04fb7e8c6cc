"""Shared fixtures: an in-process mock on a frozen clock whose every response is checked against specs/."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from multidict import CIMultiDictProxy

from mockserver.app import create_app
from mockserver.core.pipeline import VIOLATIONS
from mockserver.core.runtime import RUNTIME, Runtime
from mockserver.paths import DEFAULT_SIGNING_KEY
from mockserver.settings import Settings

START = datetime(2026, 11, 21, 16, 30, tzinfo=UTC).timestamp()
# what a test's webhook receiver got: each delivery's exact body and headers
Received = list[tuple[bytes, CIMultiDictProxy[str]]]


async def receiver(aiohttp_server: Any, status: int = 200) -> tuple[str, Received]:
    """A webhook receiver on loopback answering `status`: its URL, and what it received."""
    got: Received = []

    async def hook(request: web.Request) -> web.Response:
        got.append((await request.read(), request.headers.copy()))
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = await aiohttp_server(app)
    return str(server.make_url("/hook")), got


def make_settings(**overrides: Any) -> Settings:
    # the public test key: reproducible, and no key to make per test (tests/security tests the default)
    base: dict[str, Any] = {
        "seed": 7,
        "strict": True,
        "clock_start": START,
        "clock_frozen": True,
        "signing_key": DEFAULT_SIGNING_KEY,
    }
    base.update(overrides)
    return Settings(**base)


class Mock:
    """The test client plus handles on the runtime, and admin shortcuts."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.app: web.Application = client.server.app  # type: ignore[assignment]
        self.runtime: Runtime = self.app[RUNTIME]

    async def advance(self, seconds: float) -> None:
        response = await self.client.post("/__admin/clock", json={"advance": seconds})
        assert response.status == 200

    async def settle_webhooks(self) -> None:
        await self.runtime.webhooks.settle()

    @property
    def violations(self) -> list[str]:
        return list(self.app[VIOLATIONS])


MockFactory = Callable[..., Any]


@pytest.fixture
async def make_mock(aiohttp_client: Any) -> AsyncIterator[MockFactory]:
    made: list[Mock] = []

    async def factory(**overrides: Any) -> Mock:
        mock = Mock(await aiohttp_client(create_app(make_settings(**overrides))))
        made.append(mock)
        return mock

    yield factory
    for mock in made:
        assert mock.violations == [], "responses broke the spec"


@pytest.fixture
async def mock(make_mock: MockFactory) -> Mock:
    result: Mock = await make_mock()
    return result
