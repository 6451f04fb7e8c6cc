"""The `mockserver` pytest fixture: every provider in-process on a free port, or a running mock.

Installed with the package (entry point `pytest11`), so a test only asks for it:

    def test_hacienda_accepts(mockserver):
        base = mockserver.url("hacienda")   # http://127.0.0.1:<port>/hacienda
        ...
        mockserver.clock.advance(5)
        mockserver.verify(operation="postRecepcion", times=1)   # AssertionError with a report if not

The fixture is a `mockserver.client.Client`. By default the mock starts once per test session, in this
process, on a background thread; with `--mockserver-url URL` (or `MOCKSERVER_URL`, and the mock's admin
token in `MOCKSERVER_ADMIN_TOKEN`) the same tests drive
an already-running mock instead (the CI service container, a shared demo instance). Before each test the
mock's state, clock, scenarios, lifecycle modes and inboxes are reset. Options (pytest.ini / pyproject
`[tool.pytest.ini_options]`): `mockserver_providers` (comma list), `mockserver_seed`,
`mockserver_rate_limits` (default `off`, so tests are never throttled).

This module imports nothing heavy: a pytest run that never asks for the fixture pays nothing for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mockserver.client import Client

ALL_PROVIDERS = "hacienda,avenio,bsale,tupana,tuimprenta"
URL_ENV = "MOCKSERVER_URL"
TOKEN_ENV = "MOCKSERVER_ADMIN_TOKEN"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--mockserver-url",
        default=None,
        help=f"drive this running mock instead of starting one in-process (or set {URL_ENV})",
    )
    parser.addini("mockserver_providers", "providers the mockserver fixture enables", default=ALL_PROVIDERS)
    parser.addini("mockserver_seed", "seed for the mockserver fixture's ids and data", default="")
    parser.addini(
        "mockserver_rate_limits", "rate limits in the mockserver fixture (sandbox, off, Nx)", default="off"
    )


@pytest.fixture(scope="session")
def _mockserver_session(pytestconfig: pytest.Config) -> Iterator[Client]:
    attached = pytestconfig.getoption("--mockserver-url") or os.environ.get(URL_ENV)
    if attached:
        yield Client(str(attached), admin_token=os.environ.get(TOKEN_ENV))
        return
    from mockserver.arguments import parse_rate_limits
    from mockserver.inprocess import InProcessServer
    from mockserver.settings import Settings

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
    server = InProcessServer(settings)
    server.start()
    try:
        yield Client(server.base_url, providers)
    finally:
        server.stop()


@pytest.fixture
def mockserver(_mockserver_session: Client) -> Client:
    """The session's mock, reset: real clock, no scenarios, timed lifecycles, empty inboxes, no state."""
    handle = _mockserver_session
    handle.reset()
    handle.admin("POST", "/clock", {"freeze": False, "speed": 1})
    handle.reset_controls()
    return handle


# the name the fixture's type had before the client class existed
MockServerHandle = Client
