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

`mockserver_sandbox` gives each test sandboxes of its own instead (a `mockserver.sandbox.Sandbox`):
credentials derived from the test's node id, one test clock for all of them, every control through
their own credentials, and nothing reset but what the test left. Tests using it run in parallel
(`pytest -n 4`), in-process or on one attached mock.

`--mockserver-coverage` prints, at the end of the run, what the tests' traffic reached of each spec it
touched (statuses per operation, error codes, scenarios, end states, webhook outcomes), and
`--mockserver-coverage-fail-under PCT` fails the run when less than PCT % of the documented statuses
of those specs were reached.

This module imports nothing heavy: a pytest run that never asks for the fixture pays nothing for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from mockserver.client import Client

if TYPE_CHECKING:
    from mockserver.sandbox import Sandbox

ALL_PROVIDERS = "hacienda,avenio,bsale,tupana,tuimprenta"
URL_ENV = "MOCKSERVER_URL"
TOKEN_ENV = "MOCKSERVER_ADMIN_TOKEN"
REPORTS = pytest.StashKey[list[dict[str, Any]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--mockserver-url",
        default=None,
        help=f"drive this running mock instead of starting one in-process (or set {URL_ENV})",
    )
    parser.addoption(
        "--mockserver-coverage",
        action="store_true",
        help="print what the tests reached of each provider's spec at the end of the run",
    )
    parser.addoption(
        "--mockserver-coverage-fail-under",
        type=float,
        default=None,
        metavar="PCT",
        help="fail the run when under PCT %% of the documented statuses of the specs it used were reached",
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
        client = Client(str(attached), admin_token=os.environ.get(TOKEN_ENV))
        yield client
        _keep_coverage(pytestconfig, client)
        client.close()
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
        client = Client(server.base_url, providers)
        yield client
        _keep_coverage(pytestconfig, client)
        client.close()
    finally:
        server.stop()


def _wants_coverage(config: pytest.Config) -> bool:
    return bool(config.getoption("--mockserver-coverage")) or (
        config.getoption("--mockserver-coverage-fail-under") is not None
    )


def _keep_coverage(config: pytest.Config, client: Client) -> None:
    """The run's coverage, read before the mock stops (the summary is printed after)."""
    if _wants_coverage(config):
        used = [r for r in client.coverage() if any(op["requests"] for op in r["operations"].values())]
        config.stash[REPORTS] = used


def _covered(reports: list[dict[str, Any]]) -> float:
    documented = sum(r["statuses"]["documented"] for r in reports)
    return 100.0 * sum(r["statuses"]["reached"] for r in reports) / documented if documented else 0.0


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    threshold = session.config.getoption("--mockserver-coverage-fail-under")
    reports = session.config.stash.get(REPORTS, None)
    if threshold is not None and reports is not None and _covered(reports) < threshold:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    reports = config.stash.get(REPORTS, None)
    if reports is None:
        return
    from mockserver.core.services.coverage import table

    terminalreporter.section("mockserver coverage")
    if not reports:
        terminalreporter.write_line("no request reached the mock")
        return
    terminalreporter.write(table(reports))
    covered = _covered(reports)
    terminalreporter.write_line(f"documented statuses reached: {covered:.1f} %")
    threshold = config.getoption("--mockserver-coverage-fail-under")
    if threshold is not None and covered < threshold:
        terminalreporter.write_line(f"FAIL: under the required {threshold:g} %", red=True)


@pytest.fixture(scope="session")
def _mockserver_salt() -> str:
    """This run's: the sandboxes of two runs of one suite on one shared mock never meet."""
    import secrets

    return secrets.token_hex(8)


@pytest.fixture
def mockserver_sandbox(
    _mockserver_session: Client, _mockserver_salt: str, request: pytest.FixtureRequest
) -> Iterator[Sandbox]:
    """The test's own sandboxes (credentials from its node id) on its own clock, removed after it: tests
    stay independent with no global reset, so they can run in parallel (`pytest -n 4`) on one mock."""
    from mockserver.sandbox import Sandbox

    with Sandbox(_mockserver_session, request.node.nodeid, salt=_mockserver_salt) as box:
        yield box


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
