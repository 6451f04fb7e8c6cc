"""`mockserver.sandbox.Sandbox` on its own, against a mock on a thread: what a test does to the mock
around it does not break its tear-down, and its credentials are its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver.arguments import parse_rate_limits
from mockserver.client import Client
from mockserver.inprocess import InProcessServer
from mockserver.sandbox import Sandbox
from mockserver.settings import Settings


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    server = InProcessServer(
        Settings(providers=("bsale", "tuimprenta"), log_level="warning", rate_limits=parse_rate_limits("off"))
    )
    server.start()
    try:
        made = Client(server.base_url)
        yield made
        made.close()
    finally:
        server.stop()


def test_a_tear_down_after_a_global_reset_is_not_an_error(client: Client) -> None:
    with Sandbox(client, "tests::global-reset", salt="s") as box:
        assert box.clock.now()["frozen"] is False  # it runs with the mock's clock until moved
        client.reset_controls()  # deletes every test clock, this one's too
    assert client.admin("GET", "/clocks")["clocks"] == []


def test_two_tests_of_one_name_in_two_runs_never_share_a_sandbox(client: Client) -> None:
    first, second = Sandbox(client, "tests::same"), Sandbox(client, "tests::same")
    assert first.tenant("bsale") != second.tenant("bsale")  # each run's own salt
    assert (
        Sandbox(client, "tests::same", salt="x").tenants == Sandbox(client, "tests::same", salt="x").tenants
    )
    with pytest.raises(KeyError, match="not enabled"):
        first.headers("hacienda")
