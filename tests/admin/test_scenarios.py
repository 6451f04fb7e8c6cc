"""Fault injection: rules that fire exactly N times, named scenarios, each action, provider catalogues."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from mockserver.providers.hacienda import sample
from tests.conftest import Mock
from tests.providers.hacienda.conftest import API, Hacienda, hacienda, login

__all__ = ["hacienda"]


async def _rule(mock: Mock, **spec: Any) -> dict[str, Any]:
    response = await mock.client.post("/__admin/scenarios", json=spec)
    assert response.status == 201, await response.text()
    rule: dict[str, Any] = await response.json()
    return rule


async def test_a_rule_fires_exactly_n_times_in_the_providers_own_shape(hacienda: Hacienda) -> None:
    await _rule(hacienda.mock, provider="hacienda", operation="getComprobantes", status=503, times=2)
    statuses = []
    for _ in range(4):
        response = await hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers)
        statuses.append(response.status)
        if response.status == 503:
            assert "X-Error-Cause" in response.headers  # Hacienda's error shape, not a generic one
    assert statuses == [503, 503, 200, 200]
    assert (await (await hacienda.mock.client.get("/__admin/scenarios")).json())["rules"] == []


async def test_rules_match_operation_tenant_method_path_and_body(mock: Mock) -> None:
    alice = Hacienda(mock, (await login(mock, "alice"))["access_token"])
    bob = Hacienda(mock, (await login(mock, "bob"))["access_token"])
    await _rule(
        mock,
        provider="hacienda",
        tenant="rut-stag/alice",
        method="POST",
        path="/recepcion$",
        match={"emisor": {"numeroIdentificacion": "3101123456"}},
        status=500,
    )
    assert (await alice.post(alice.body(sample.Sample()))).status == 500
    assert (await bob.post(bob.body(sample.Sample()))).status == 201
    other = sample.Sample(emisor_numero="3101999999")
    assert (await alice.post(alice.body(other))).status == 201


async def test_named_scenarios_by_header(hacienda: Hacienda) -> None:
    headers = {**hacienda.headers, "X-Mock-Scenario": "rate-limited"}
    response = await hacienda.mock.client.get(f"{API}/comprobantes", headers=headers)
    assert (response.status, response.headers["Retry-After"]) == (429, "30")
    headers["X-Mock-Scenario"] = "server-error"
    assert (await hacienda.mock.client.get(f"{API}/comprobantes", headers=headers)).status == 500
    journal = await (await hacienda.mock.client.get("/__admin/requests?limit=1")).json()
    assert journal["requests"][0]["scenario"] == "server-error"


async def test_provider_scenario_rejected_by_tax_authority(hacienda: Hacienda) -> None:
    s = sample.Sample()
    response = await hacienda.mock.client.post(
        f"{API}/recepcion",
        json=hacienda.body(s),
        headers={**hacienda.headers, "X-Mock-Scenario": "rejected-by-tax-authority"},
    )
    assert response.status == 201
    await hacienda.mock.advance(5)
    assert (await hacienda.status(s.clave))["ind-estado"] == "rechazado"


async def test_the_catalogue_lists_common_and_provider_scenarios(mock: Mock) -> None:
    catalogues = (await (await mock.client.get("/__admin/scenarios")).json())["catalogues"]
    assert {"rate-limited", "server-error", "timeout", "dropped-connection", "slow-body"} <= set(
        catalogues["hacienda"]
    )
    assert "rejected-by-tax-authority" in catalogues["hacienda"]
    assert catalogues["tuimprenta"]["rejected-by-tax-authority"]["status"] == 402


async def test_delay_drop_and_slow_body_actions(hacienda: Hacienda) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the mock's waits, recorded instead of taken
        slept.append(seconds)

    hacienda.mock.runtime.scenarios.sleep = sleep
    url = str(hacienda.mock.client.make_url(f"{API}/comprobantes"))
    await _rule(hacienda.mock, provider="hacienda", operation="getComprobantes", delay=0.3, times=1)
    assert (await hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers)).status == 200
    assert slept == [0.3]
    # aiohttp's client retries an idempotent request once after a disconnect: drop both tries
    await _rule(hacienda.mock, provider="hacienda", operation="getComprobantes", drop=True, times=2)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientError):
            await session.get(url, headers=hacienda.headers)
    slept.clear()
    await _rule(hacienda.mock, provider="hacienda", operation="getComprobantes", slow_body=0.4, times=1)
    response = await hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers)
    assert await response.json() == []
    assert len(slept) > 1 and sum(slept) == pytest.approx(0.4)  # the body came in pieces over 0.4 s


async def test_a_timeout_scenario_outlasts_a_clients_timeout(hacienda: Hacienda) -> None:
    never = asyncio.Event()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # holds the answer until the client has given up
        waits.append(seconds)
        await never.wait()

    hacienda.mock.runtime.scenarios.sleep = sleep
    await _rule(hacienda.mock, provider="hacienda", operation="getComprobantes", delay=2, times=1)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers), 0.2)
    assert waits == [2.0]
    never.set()  # the held answer may finish now: nobody is waiting for it


async def test_probabilistic_rules_follow_the_seed(make_mock: Any) -> None:
    async def run() -> list[int]:
        mock = await make_mock(seed=11)
        h = Hacienda(mock, (await login(mock))["access_token"])
        await _rule(mock, provider="hacienda", operation="getComprobantes", status=500, probability=0.5)
        return [(await mock.client.get(f"{API}/comprobantes", headers=h.headers)).status for _ in range(12)]

    first, second = await run(), await run()
    assert first == second
    assert set(first) == {200, 500}


async def test_bad_rules_are_400_and_rules_can_be_removed(mock: Mock) -> None:
    for spec in (
        {"provider": "nope", "status": 500},
        {"provider": "hacienda"},
        {"provider": "hacienda", "status": 200},
        {"provider": "hacienda", "scenario": "no-such"},
        {"provider": "hacienda", "status": 500, "times": 0},
    ):
        assert (await mock.client.post("/__admin/scenarios", json=spec)).status == 400, spec
    rule = await _rule(mock, provider="hacienda", status=500)
    assert (await mock.client.delete(f"/__admin/scenarios/{rule['id']}")).status == 200
    assert (await mock.client.delete(f"/__admin/scenarios/{rule['id']}")).status == 404
    await _rule(mock, provider="hacienda", status=500)
    assert (await (await mock.client.delete("/__admin/scenarios?provider=hacienda")).json())["removed"] == 1
