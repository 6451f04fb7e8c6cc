"""Verification with near misses, webhook replay and pause, inboxes, the callback allowlist, polls."""

from __future__ import annotations

from typing import Any

from mockserver.providers.hacienda import sample
from tests.conftest import Mock
from tests.providers.hacienda.conftest import API, Hacienda, hacienda

__all__ = ["hacienda"]


async def test_verify_counts_calls_and_reports_near_misses(hacienda: Hacienda) -> None:
    s = sample.Sample()
    await hacienda.submit(s)
    ok = await hacienda.mock.client.post(
        "/__admin/verify",
        json={"provider": "hacienda", "operation": "postRecepcion", "times": 1, "body": {"clave": s.clave}},
    )
    assert ok.status == 200
    assert (await ok.json())["matched"] == 1
    miss = await hacienda.mock.client.post(
        "/__admin/verify",
        json={
            "provider": "hacienda",
            "operation": "postRecepcion",
            "times": 1,
            "body": {"clave": s.clave, "emisor": {"numeroIdentificacion": "999"}},
        },
    )
    assert miss.status == 422
    result = await miss.json()
    assert result["ok"] is False and result["matched"] == 0
    assert "body.emisor.numeroIdentificacion: '3101123456' != expected '999'" in result["report"]
    assert result["near_misses"][0]["operation"] == "postRecepcion"
    at_least = await hacienda.mock.client.post(
        "/__admin/verify", json={"operation": "postRecepcion", "at_least": 2}
    )
    assert at_least.status == 422
    secret_free = await hacienda.mock.client.get("/__admin/requests?operation=createToken")
    assert "secreto" not in await secret_free.text()


async def test_verify_on_an_empty_journal_says_so(mock: Mock) -> None:
    body = {"operation": "postRecepcion", "times": 1}
    result = await (await mock.client.post("/__admin/verify", json=body)).json()
    assert "empty" in result["report"]


async def test_inbox_receives_callbacks_and_replay_sends_again(hacienda: Hacienda) -> None:
    inbox = str(hacienda.mock.client.make_url("/__admin/inbox/demo"))
    s = sample.Sample()
    await hacienda.submit(s, callback_url=inbox)
    await hacienda.mock.advance(5)
    await hacienda.mock.settle_webhooks()
    box = await (await hacienda.mock.client.get("/__admin/inbox/demo")).json()
    assert box["count"] == 1 and box["messages"][0]["body"]["ind-estado"] == "aceptado"
    deliveries = (await (await hacienda.mock.client.get("/__admin/webhooks")).json())["deliveries"]
    replay = await hacienda.mock.client.post(f"/__admin/webhooks/{deliveries[0]['id']}/replay")
    assert replay.status == 201
    await hacienda.mock.settle_webhooks()
    assert (await (await hacienda.mock.client.get("/__admin/inbox/demo")).json())["count"] == 2
    assert (await hacienda.mock.client.post("/__admin/webhooks/nope/replay")).status == 404
    await hacienda.mock.client.delete("/__admin/inbox/demo")
    assert (await (await hacienda.mock.client.get("/__admin/inbox/demo")).json())["count"] == 0


async def test_paused_delivery_waits_until_resumed(hacienda: Hacienda) -> None:
    inbox = str(hacienda.mock.client.make_url("/__admin/inbox/paused"))
    await hacienda.mock.client.post("/__admin/webhooks/pause")
    await hacienda.submit(sample.Sample(), callback_url=inbox)
    await hacienda.mock.advance(5)
    await hacienda.mock.settle_webhooks()
    assert (await (await hacienda.mock.client.get("/__admin/inbox/paused")).json())["count"] == 0
    resumed = await (await hacienda.mock.client.post("/__admin/webhooks/resume")).json()
    assert resumed["released"] == 1
    await hacienda.mock.settle_webhooks()
    assert (await (await hacienda.mock.client.get("/__admin/inbox/paused")).json())["count"] == 1


async def test_link_local_and_metadata_callbacks_are_refused(hacienda: Hacienda) -> None:
    for url in ("http://169.254.169.254/latest/meta-data", "http://metadata.google.internal/x"):
        await hacienda.submit(sample.Sample(numero=len(url)), callback_url=url)
    await hacienda.mock.advance(5)
    deliveries = (await (await hacienda.mock.client.get("/__admin/webhooks")).json())["deliveries"]
    assert {d["state"] for d in deliveries} == {"refused"}
    assert all("link-local or cloud metadata" in d["attempts"][0]["error"] for d in deliveries)


async def test_an_allowlist_limits_callback_targets(make_mock: Any) -> None:
    from tests.providers.hacienda.conftest import login

    mock = await make_mock(callback_allowlist=("127.0.0.0/8",))
    h = Hacienda(mock, (await login(mock))["access_token"])
    await h.submit(sample.Sample(numero=1), callback_url="https://example.org/hook")
    await h.submit(sample.Sample(numero=2), callback_url=str(mock.client.make_url("/__admin/inbox/ok")))
    await mock.advance(5)
    await mock.settle_webhooks()
    states = {
        d["url"].split("/")[2]: d["state"]
        for d in (await (await mock.client.get("/__admin/webhooks")).json())["deliveries"]
    }
    assert states["example.org"] == "refused"
    assert (await (await mock.client.get("/__admin/inbox/ok")).json())["count"] == 1


async def test_polls_mode_moves_one_step_every_n_reads(hacienda: Hacienda) -> None:
    await hacienda.mock.client.post(
        "/__admin/lifecycle", json={"provider": "hacienda", "mode": "polls", "polls": 2}
    )
    clave = await hacienda.submit(sample.Sample())
    states = [(await hacienda.status(clave))["ind-estado"] for _ in range(4)]
    assert states == ["recibido", "procesando", "procesando", "aceptado"]


async def test_timed_mode_with_custom_seconds(hacienda: Hacienda) -> None:
    await hacienda.mock.client.post(
        "/__admin/lifecycle", json={"provider": "hacienda", "mode": "timed", "seconds": 10}
    )
    clave = await hacienda.submit(sample.Sample())
    await hacienda.mock.advance(9)
    assert (await hacienda.status(clave))["ind-estado"] == "recibido"
    await hacienda.mock.advance(1)
    assert (await hacienda.status(clave))["ind-estado"] == "procesando"
    bad = await hacienda.mock.client.post(
        "/__admin/lifecycle", json={"provider": "hacienda", "mode": "polls"}
    )
    assert bad.status == 400


async def test_every_timer_follows_the_clock(hacienda: Hacienda) -> None:
    """Lifecycles, token expiry and rate windows all move when the mock clock is advanced, and only then."""
    clave = await hacienda.submit(sample.Sample())
    await hacienda.mock.advance(3)
    assert (await hacienda.status(clave))["ind-estado"] == "aceptado"
    first = await hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers)
    reset = int(first.headers["X-Ratelimit-Reset"])
    assert reset - hacienda.mock.runtime.clock.now() <= 60
    await hacienda.mock.advance(400)
    assert (await hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers)).status == 401


async def test_reset_controls_clears_rules_modes_pause_and_inboxes(
    hacienda: Hacienda,
) -> None:
    client = hacienda.mock.client
    await client.post("/__admin/scenarios", json={"provider": "hacienda", "status": 503})
    await client.post("/__admin/lifecycle", json={"provider": "hacienda", "mode": "manual"})
    await client.post("/__admin/webhooks/pause")
    await client.post("/__admin/inbox/demo", json={"hello": 1})
    runtime = hacienda.mock.runtime
    assert runtime.scenarios.rules and runtime.lifecycles.modes and runtime.webhooks.paused
    answer = await client.post("/__admin/reset/controls")
    assert (answer.status, await answer.json()) == (200, {"reset": "controls"})
    assert (await (await client.get("/__admin/scenarios")).json())["rules"] == []
    modes = await (await client.post("/__admin/lifecycle", json={"provider": "hacienda"})).json()
    assert modes["modes"] == {}
    assert (await (await client.get("/__admin/webhooks")).json())["paused"] is False
    assert (await (await client.get("/__admin/inbox/demo")).json())["count"] == 0
