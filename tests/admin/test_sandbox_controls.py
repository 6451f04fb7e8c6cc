"""Controls scoped to one sandbox: a lifecycle mode, a webhook pause and a controls reset that name a
tenant change that sandbox's work only; the other sandboxes on the same mock go on as before."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from mockserver.core.services import lifecycle, webhooks
from tests.conftest import Mock, MockFactory
from tests.providers.tuimprenta.conftest import KEY, Tuimprenta, invoice_body

OTHER = "ti_test_another_ci_job_000000000001"


async def _receiver(aiohttp_server: Any) -> tuple[str, list[str]]:
    """A webhook receiver: its URL, and the path of each delivery it got (`/hook/<who>`)."""
    got: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        got.append(request.match_info["who"])
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook/{who}", hook)
    server = await aiohttp_server(app)
    return str(server.make_url("/hook")), got


async def _batch(ti: Tuimprenta, url: str) -> str:
    body = {"type": "invoice.create", "payload": [invoice_body()], "callback_url": url}
    made: dict[str, Any] = await ti.ok("POST", "/batches", 202, json=body)
    return str(made["id"])


async def _status(ti: Tuimprenta, batch: str) -> str:
    return str((await ti.ok("GET", f"/batches/{batch}"))["status"])


async def test_a_manual_lifecycle_for_one_sandbox_leaves_the_other_on_the_clock(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    url, _ = await _receiver(aiohttp_server)
    mine, theirs = Tuimprenta(mock), Tuimprenta(mock, OTHER)
    set_mode = {"provider": "tuimprenta", "tenant": KEY, "mode": "manual"}
    answer = await (await mock.client.post("/__admin/lifecycle", json=set_mode)).json()
    assert answer["sandbox_modes"] == {"*": {"mode": "manual", "seconds": None, "polls": None}}
    assert answer["modes"] == {}  # the provider's own, for every other sandbox, untouched
    my_batch, their_batch = await _batch(mine, f"{url}/mine"), await _batch(theirs, f"{url}/theirs")
    await mock.advance(60)
    assert await _status(mine, my_batch) == "queued"
    assert await _status(theirs, their_batch) == "completed"
    step = {"provider": "tuimprenta", "tenant": KEY, "advance": True}
    moved = await (await mock.client.post("/__admin/lifecycle", json=step)).json()
    assert moved["advanced"] == 1 and [p["key"] for p in moved["pending"]] == [my_batch]
    await (await mock.client.post("/__admin/lifecycle", json=step)).json()
    assert await _status(mine, my_batch) == "completed"


async def test_pausing_one_sandboxs_webhooks_holds_only_its_deliveries(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    url, got = await _receiver(aiohttp_server)
    mine, theirs = Tuimprenta(mock), Tuimprenta(mock, OTHER)
    pause = {"provider": "tuimprenta", "tenant": KEY}
    assert (await (await mock.client.post("/__admin/webhooks/pause", json=pause)).json())["paused"] is True
    await _batch(mine, f"{url}/mine")
    await _batch(theirs, f"{url}/theirs")
    await mock.advance(60)
    await mock.settle_webhooks()
    assert got == ["theirs"]
    resumed = await (await mock.client.post("/__admin/webhooks/resume", json=pause)).json()
    assert resumed["released"] == 1
    await mock.settle_webhooks()
    assert got == ["theirs", "mine"]


async def test_resetting_one_sandboxs_controls_keeps_the_others(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    for tenant in (KEY, OTHER):
        body = {"provider": "tuimprenta", "tenant": tenant, "mode": "manual"}
        assert (await mock.client.post("/__admin/lifecycle", json=body)).status == 200
        rule = {"provider": "tuimprenta", "tenant": tenant, "operation": "createInvoice", "status": 503}
        assert (await mock.client.post("/__admin/scenarios", json=rule)).status in (200, 201)
    reset = await mock.client.post("/__admin/reset/controls", json={"provider": "tuimprenta", "tenant": KEY})
    assert reset.status == 200
    assert (await Tuimprenta(mock).call("POST", "/invoices", json=invoice_body())).status == 201
    assert (await Tuimprenta(mock, OTHER).call("POST", "/invoices", json=invoice_body())).status == 503
    lifecycles, tenant_of = mock.runtime.lifecycles, mock.runtime.providers["tuimprenta"].tenant_name
    assert lifecycles.mode("tuimprenta", "batch", tenant_of(KEY)).value == "timed"
    assert lifecycles.mode("tuimprenta", "batch", tenant_of(OTHER)).value == "manual"


async def test_a_sandbox_control_without_its_provider_is_refused(mock: Mock) -> None:
    for path, body in (
        ("/__admin/lifecycle", {"tenant": KEY, "mode": "manual"}),
        ("/__admin/webhooks/pause", {"tenant": KEY}),
        ("/__admin/webhooks/pause", {"provider": "tuimprenta"}),
        ("/__admin/reset/controls", {"tenant": KEY}),
    ):
        response = await mock.client.post(path, json=body)
        assert response.status == 400, (path, body, await response.text())


async def test_the_controls_kept_for_single_sandboxes_are_bounded(
    mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any credential opens a sandbox: past the bound a new sandbox's mode or pause is refused, loudly,
    and the ones set stay."""
    monkeypatch.setattr(lifecycle, "MAX_SANDBOX_CONTROLS", 2)
    monkeypatch.setattr(webhooks, "MAX_SANDBOX_CONTROLS", 2)
    for tenant in ("a", "b"):
        body = {"provider": "tuimprenta", "tenant": tenant}
        assert (await mock.client.post("/__admin/lifecycle", json={**body, "mode": "manual"})).status == 200
        assert (await mock.client.post("/__admin/webhooks/pause", json=body)).status == 200
    third = {"provider": "tuimprenta", "tenant": "c"}
    refused = await mock.client.post("/__admin/lifecycle", json={**third, "mode": "manual"})
    assert refused.status == 400 and "reset some" in (await refused.json())["error"]
    assert (await mock.client.post("/__admin/webhooks/pause", json=third)).status == 400
    again = await mock.client.post(
        "/__admin/lifecycle", json={"provider": "tuimprenta", "tenant": "a", "mode": "timed"}
    )
    assert again.status == 200  # a sandbox already kept can change its own
