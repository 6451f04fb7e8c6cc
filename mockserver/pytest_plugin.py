"""The `mockserver` pytest fixture: every provider in-process on a free port, reset between tests.

Installed with mockserver (entry point `pytest11`), so a test only asks for it:

    def test_hacienda_accepts(mockserver):
        base = mockserver.url("hacienda")   # http://127.0.0.1:<port>/hacienda
        ...
        mockserver.clock.advance(5)
        assert mockserver.verify(operation="postRecepcion", times=1)["ok"]

The server starts once per test session on a background thread (sync and async tests alike can call
it); before each test its state, clock, scenarios, lifecycle modes and inboxes are reset. Options
(pytest.ini / pyproject `[tool.pytest.ini_options]`): `mockserver_providers` (comma list),
`mockserver_seed`, `mockserver_rate_limits` (default `off`, so tests are never throttled).
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from mockserver.settings import ALL_PROVIDERS, Settings


class MockServerHandle:
    """The running mock: provider URLs and the control plane, as plain method calls."""

    def __init__(self, base_url: str, providers: tuple[str, ...]) -> None:
        self.base_url = base_url
        self.providers = providers
        self.clock = _Clock(self)

    def url(self, provider: str) -> str:
        if provider not in self.providers:
            raise KeyError(f"{provider} is not enabled; enabled: {', '.join(self.providers)}")
        return f"{self.base_url}/{provider}"

    @property
    def urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in self.providers}

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}/__admin{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:  # verify answers 422 with its report: that is an answer
            payload = json.loads(error.read() or b"null")
            if error.code == 422:
                return payload
            raise AssertionError(f"mockserver admin {method} {path} → {error.code}: {payload}") from None

    def reset(self, provider: str | None = None, tenant: str | None = None) -> None:
        self.admin("POST", "/reset", {"provider": provider, "tenant": tenant})

    def scenario(self, provider: str, **rule: Any) -> dict[str, Any]:
        """Add a fault rule, e.g. `scenario("tupana", operation="createBatch", status=503, times=1)`."""
        result: dict[str, Any] = self.admin("POST", "/scenarios", {"provider": provider, **rule})
        return result

    def lifecycle(
        self,
        provider: str,
        mode: str | None = None,
        *,
        kind: str | None = None,
        advance: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"provider": provider, "kind": kind, "advance": advance, **extra}
        if mode:
            body["mode"] = mode
        result: dict[str, Any] = self.admin("POST", "/lifecycle", body)
        return result

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        entries: list[dict[str, Any]] = self.admin("GET", f"/requests?{query}")["requests"]
        return entries

    def verify(self, **criteria: Any) -> dict[str, Any]:
        """`verify(operation="emitirBoleta", times=1, body={...})` → {"ok", "matched", "report"?}."""
        result: dict[str, Any] = self.admin("POST", "/verify", criteria)
        return result

    def inbox_url(self, name: str) -> str:
        return f"{self.base_url}/__admin/inbox/{name}"

    def inbox(self, name: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.admin("GET", f"/inbox/{name}")["messages"]
        return messages

    def deliveries(self, provider: str | None = None) -> list[dict[str, Any]]:
        query = f"?provider={provider}" if provider else ""
        found: list[dict[str, Any]] = self.admin("GET", f"/webhooks{query}")["deliveries"]
        return found

    def action(self, provider: str, name: str, **body: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("POST", f"/actions/{provider}/{name}", body)
        return result


class _Clock:
    def __init__(self, handle: MockServerHandle) -> None:
        self._handle = handle

    def now(self) -> dict[str, Any]:
        result: dict[str, Any] = self._handle.admin("GET", "/clock")
        return result

    def freeze(self) -> None:
        self._handle.admin("POST", "/clock", {"freeze": True})

    def unfreeze(self) -> None:
        self._handle.admin("POST", "/clock", {"freeze": False})

    def advance(self, seconds: float) -> None:
        """Move mock time; what falls due (lifecycles, retries, expiries) happens before this returns."""
        self._handle.admin("POST", "/clock", {"advance": seconds})

    def set(self, when: str | float) -> None:
        self._handle.admin("POST", "/clock", {"set": when})

    def speed(self, factor: float) -> None:
        self._handle.admin("POST", "/clock", {"speed": factor})


class _Server:
    """The app on a loop of its own, in a daemon thread, on 127.0.0.1 and a free port."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._runner: web.AppRunner | None = None
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="mockserver", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as error:  # surfaced to the test session by start()
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        from mockserver.app import create_app

        self._runner = web.AppRunner(create_app(self.settings), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def start(self) -> None:
        self.thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError(f"mockserver did not start: {self._error}") from self._error

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "mockserver_providers", "providers the mockserver fixture enables", default=",".join(ALL_PROVIDERS)
    )
    parser.addini("mockserver_seed", "seed for the mockserver fixture's ids and data", default="")
    parser.addini(
        "mockserver_rate_limits", "rate limits in the mockserver fixture (sandbox, off, Nx)", default="off"
    )


@pytest.fixture(scope="session")
def _mockserver_session(pytestconfig: pytest.Config) -> Iterator[MockServerHandle]:
    from mockserver.cli import parse_rate_limits

    providers = tuple(
        p.strip() for p in str(pytestconfig.getini("mockserver_providers")).split(",") if p.strip()
    )
    seed = str(pytestconfig.getini("mockserver_seed"))
    settings = Settings(
        providers=providers,
        seed=int(seed) if seed else None,
        log_level="warning",
        rate_limits=parse_rate_limits(str(pytestconfig.getini("mockserver_rate_limits"))),
    )
    server = _Server(settings)
    server.start()
    try:
        yield MockServerHandle(f"http://127.0.0.1:{server.port}", providers)
    finally:
        server.stop()


@pytest.fixture
def mockserver(_mockserver_session: MockServerHandle) -> MockServerHandle:
    """The session's mock, reset: real clock, no scenarios, timed lifecycles, empty inboxes, no state."""
    handle = _mockserver_session
    handle.reset()
    handle.admin("POST", "/clock", {"freeze": False, "speed": 1})
    handle.admin("POST", "/reset/controls", {})
    return handle
