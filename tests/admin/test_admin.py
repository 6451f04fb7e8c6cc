"""The control plane: health, clock, reset per provider and tenant, lifecycle modes, webhook log."""

from __future__ import annotations

from mockserver.providers.hacienda import sample
from mockserver.settings import ALL_PROVIDERS
from tests.conftest import Mock
from tests.providers.hacienda.conftest import API, Hacienda, hacienda, login

__all__ = ["hacienda"]  # the fixture, shared with the provider tests


async def test_health_lists_providers(mock: Mock) -> None:
    body = await (await mock.client.get("/__admin/health")).json()
    assert body["status"] == "ok"
    assert body["providers"] == sorted(ALL_PROVIDERS)


async def test_clock_freeze_advance_set_and_speed(mock: Mock) -> None:
    clock = await (await mock.client.get("/__admin/clock")).json()
    assert clock["frozen"] is True
    moved = await (await mock.client.post("/__admin/clock", json={"advance": 90})).json()
    assert moved["epoch"] == clock["epoch"] + 90
    at = await (await mock.client.post("/__admin/clock", json={"set": "2027-01-01T00:00:00Z"})).json()
    assert at["now"] == "2027-01-01T00:00:00Z"
    sped = await (await mock.client.post("/__admin/clock", json={"freeze": False, "speed": 5})).json()
    assert (sped["frozen"], sped["speed"]) == (False, 5)
    bad = await mock.client.post("/__admin/clock", json={"advance": -5})
    assert bad.status == 400


async def test_reset_one_tenant_keeps_the_others(mock: Mock) -> None:
    alice = Hacienda(mock, (await login(mock, "alice"))["access_token"])
    bob = Hacienda(mock, (await login(mock, "bob"))["access_token"])
    s = sample.Sample()
    await alice.submit(s)
    await bob.submit(s)
    response = await mock.client.post(
        "/__admin/reset", json={"provider": "hacienda", "tenant": "rut-stag/alice"}
    )
    assert response.status == 200
    assert (await mock.client.get(f"{API}/recepcion/{s.clave}", headers=alice.headers)).status == 404
    assert (await mock.client.get(f"{API}/recepcion/{s.clave}", headers=bob.headers)).status == 200
    await mock.client.post("/__admin/reset", json={})
    assert (await mock.client.get("/__admin/requests")).status == 200
    assert (await (await mock.client.get("/__admin/requests")).json())["count"] == 0


async def test_manual_lifecycle_advances_only_by_admin_call(hacienda: Hacienda) -> None:
    client = hacienda.mock.client
    await client.post("/__admin/lifecycle", json={"provider": "hacienda", "mode": "manual"})
    clave = await hacienda.submit(sample.Sample())
    await hacienda.mock.advance(100)
    assert (await hacienda.status(clave))["ind-estado"] == "recibido"
    response = await client.post("/__admin/lifecycle", json={"provider": "hacienda", "advance": True})
    assert (await response.json())["advanced"] == 1
    assert (await hacienda.status(clave))["ind-estado"] == "procesando"
    await client.post("/__admin/lifecycle", json={"provider": "hacienda", "advance": True})
    assert (await hacienda.status(clave))["ind-estado"] == "aceptado"


async def test_immediate_lifecycle_is_final_on_the_first_read(hacienda: Hacienda) -> None:
    await hacienda.mock.client.post("/__admin/lifecycle", json={"provider": "hacienda", "mode": "immediate"})
    clave = await hacienda.submit(sample.Sample())
    assert (await hacienda.status(clave))["ind-estado"] == "aceptado"


async def test_webhook_log_shows_every_callback_attempt(hacienda: Hacienda) -> None:
    await hacienda.submit(sample.Sample(), callback_url="http://127.0.0.1:9/refused")
    await hacienda.mock.advance(5)
    await hacienda.mock.settle_webhooks()
    body = await (await hacienda.mock.client.get("/__admin/webhooks?provider=hacienda")).json()
    delivery = body["deliveries"][0]
    assert delivery["event"] == "recepcion.aceptado"
    assert delivery["state"] == "pending"
    assert delivery["attempts"][0]["error"]
    assert delivery["next_attempt_at"] > hacienda.mock.runtime.clock.now()


async def test_unknown_provider_in_admin_calls_is_a_400(mock: Mock) -> None:
    assert (await mock.client.post("/__admin/reset", json={"provider": "nope"})).status == 400
    assert (await mock.client.post("/__admin/lifecycle", json={"provider": "nope"})).status == 400
