"""Auth, the error envelope, rate limits, states, and webhook CRUD, retries and bookkeeping."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.providers.tupana.entities import entity_id
from tests.conftest import Mock
from tests.providers.tupana.conftest import ISSUER, V2, Tupana, factura


async def test_missing_key_is_401_and_every_response_has_a_request_id(mock: Mock) -> None:
    response = await mock.client.get(f"{V2}/credentials/")
    assert response.status == 401
    error = (await response.json())["error"]
    assert (error["type"], error["code"]) == ("authentication_error", "invalid_api_key")
    assert response.headers["X-Request-Id"] == error["request_id"]
    echoed = await mock.client.get(f"{V2}/credentials/", headers={"X-Request-Id": "req-123"})
    assert echoed.headers["X-Request-Id"] == "req-123"


async def test_a_production_key_is_refused(mock: Mock) -> None:
    response = await Tupana(mock, "live_abc123").call("GET", "/credentials/")
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "production_key_not_allowed"


async def test_the_unavailable_key_answers_503_with_retry_after(mock: Mock) -> None:
    response = await Tupana(mock, "sandbox_unavailable").call("GET", "/credentials/")
    assert response.status == 503
    assert response.headers["Retry-After"] == "30"
    assert (await response.json())["error"]["type"] == "api_error"


async def test_120_calls_a_minute_then_429_with_retry_after(tupana: Tupana) -> None:
    for _ in range(120):
        await tupana.call("GET", "/credentials/")
    response = await tupana.call("GET", "/credentials/")
    assert response.status == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert (await response.json())["error"]["type"] == "rate_limit_error"


async def test_schema_errors_are_422_and_missing_parameters_400(tupana: Tupana) -> None:
    response = await tupana.call("POST", "/documents/batch/", json={"documents": []})
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "validation_error"
    response = await tupana.call("GET", "/documents/")
    assert response.status == 400
    assert (await response.json())["error"]["param"] == "master_entity_id"


async def test_unknown_resources_are_404(tupana: Tupana) -> None:
    for path in (
        "/documents/docu_nope/",
        "/documents/batch/nope/",
        "/webhooks/dowe_nope/",
        "/payment-requests/pr_nope/",
        "/cessions/cess_nope/",
        "/cessions/batch/nope/",
    ):
        response = await tupana.call("GET", path)
        assert response.status == 404, path
        assert (await response.json())["error"]["code"] == "resource_missing"


async def test_states_reject_unknown_codes_and_documents_not_issued(tupana: Tupana) -> None:
    await tupana.enrol()
    created = await (await tupana.batch([factura()])).json()
    doc_id = created["documents"][0]["document"]["id"]
    assert (
        await tupana.call("POST", f"/documents/{doc_id}/states/", json={"event_code": "PAID"})
    ).status == 409
    await tupana.mock.advance(3)
    response = await tupana.call("POST", f"/documents/{doc_id}/states/", json={"event_code": "NOPE"})
    assert response.status == 422
    annulled = await tupana.ok("POST", f"/documents/{doc_id}/states/", 201, json={"event_code": "ANNULLED"})
    assert annulled["event_code"] == "ANNULLED"
    assert (await tupana.ok("GET", f"/documents/{doc_id}/"))["state"] == "annulled"


async def test_webhook_crud_one_per_company(tupana: Tupana) -> None:
    ment = entity_id(ISSUER)
    response = await tupana.call(
        "POST", "/webhooks/", json={"master_entity_id": ment, "url": "https://x.test/h", "events": []}
    )
    assert response.status == 404  # not enrolled yet
    await tupana.enrol()
    hook = await tupana.ok(
        "POST",
        "/webhooks/",
        201,
        json={
            "master_entity_id": ment,
            "url": "https://x.test/h",
            "events": ["document.issued"],
            "environment": "sandbox",
        },
    )
    second = await tupana.call(
        "POST", "/webhooks/", json={"master_entity_id": ment, "url": "https://y.test/h", "events": []}
    )
    assert (second.status, (await second.json())["error"]["code"]) == (409, "webhook_already_exists")
    updated = await tupana.ok(
        "PATCH", f"/webhooks/{hook['id']}/", json={"is_active": False, "api_version": 1}
    )
    assert (updated["is_active"], updated["api_version"]) == (False, 1)
    listing = await tupana.ok("GET", "/webhooks/", params={"master_entity_id": ment})
    assert [w["id"] for w in listing["data"]] == [hook["id"]]
    await tupana.ok("DELETE", f"/webhooks/{hook['id']}/", 204)
    assert (await tupana.call("GET", f"/webhooks/{hook['id']}/")).status == 404


async def test_failing_receiver_is_retried_and_the_webhook_keeps_count(
    tupana: Tupana, aiohttp_server: Any
) -> None:
    seen: list[Any] = []

    async def hook_handler(request: web.Request) -> web.Response:
        seen.append(request.headers.copy())
        return web.Response(status=503 if len(seen) <= 2 else 204)

    app = web.Application()
    app.router.add_post("/h", hook_handler)
    server = await aiohttp_server(app)
    await tupana.enrol()
    hook = await tupana.ok(
        "POST",
        "/webhooks/",
        201,
        json={
            "master_entity_id": entity_id(ISSUER),
            "url": str(server.make_url("/h")),
            "events": [],
            "secret": "k",
        },
    )
    await tupana.ok("POST", f"/webhooks/{hook['id']}/test/", 202)
    await tupana.mock.settle_webhooks()
    await tupana.mock.advance(10)
    await tupana.mock.settle_webhooks()
    await tupana.mock.advance(30)
    await tupana.mock.settle_webhooks()
    assert len(seen) == 3
    assert len({h["X-Pana-Event-Id"] for h in seen}) == 1  # the dedupe key is stable across retries
    assert len({h["X-Pana-Delivery"] for h in seen}) == 3  # one per attempt
    stats = await tupana.ok("GET", f"/webhooks/{hook['id']}/")
    assert (stats["success_rate"], stats["last_status_code"]) == (33.3, 204)


async def test_each_api_key_is_its_own_sandbox(mock: Mock) -> None:
    alice, bob = Tupana(mock, "sandbox_alice"), Tupana(mock, "sandbox_bob")
    await alice.enrol()
    created = await (await alice.batch([factura()])).json()
    doc_id = created["documents"][0]["document"]["id"]
    assert (await bob.call("GET", f"/documents/{doc_id}/")).status == 404
    assert (await bob.call("GET", f"/documents/batch/{created['batch_id']}/")).status == 404
    assert (await bob.ok("GET", "/credentials/"))["meta"]["total"] == 0
    refused = await (await bob.batch([factura()])).json()
    assert refused["documents"][0]["errors"][0]["code"] == "company_not_enrolled"
