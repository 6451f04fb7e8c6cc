"""The official Python SDK `tupana` (pinned 0.1.1) against a live mock on loopback, unchanged."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockserver.app import create_app
from mockserver.core.kit.rut import check_digit
from mockserver.core.pipeline import VIOLATIONS
from tests.conftest import make_settings

tupana = pytest.importorskip("tupana")
pytestmark = pytest.mark.compat


async def _live_tupana(**options: Any) -> TestServer:
    """A mock of Tu Pana alone on loopback, on real time with short delays, strict against its spec."""
    settings = make_settings(
        providers=("tupana",),
        clock_start=None,
        clock_frozen=False,
        provider_options={"tupana": {"processing_delay": 0.1, "sii_delay": 0.2, **options}},
    )
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    return server


async def test_tupana_sdk_runs_the_whole_flow_and_verifies_a_delivery() -> None:
    deliveries: list[tuple[bytes, dict[str, str]]] = []

    async def receiver(request: web.Request) -> web.Response:
        deliveries.append((await request.read(), dict(request.headers)))
        return web.Response(status=200)

    hook_app = web.Application()
    hook_app.router.add_post("/pana", receiver)
    hooks = TestServer(hook_app, host="127.0.0.1")
    await hooks.start_server()
    server = await _live_tupana(download_ttl=7200)
    app = server.app
    base = str(server.make_url("/tupana/v2"))
    hook_url = str(hooks.make_url("/pana"))

    def drive() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with tupana.Tupana(api_key="sandbox_sdk_key", base_url=base, max_retries=0) as client:
            entity = client.master_entities.lookup("76543210-3")
            seen["entity"] = entity["name"]
            credential = client.request(
                "POST", "/credentials/", body={"rut": "76543210-3", "password": "clave"}
            )
            seen["credential"] = credential["status"]
            hook = client.webhooks.create(
                {
                    "master_entity_id": entity["id"],
                    "url": hook_url,
                    "secret": "sdk-secret",
                    "events": ["document.issued"],
                }
            )
            seen["webhook_listed"] = [
                w["id"] for w in client.webhooks.list(master_entity_id=entity["id"])["data"]
            ]
            document = {
                "dte_type": {"code": "33"},
                "document_issuer": {"rut": "76543210-3"},
                "document_receiver": {"rut": "76369187-K"},
                "details": [{"item_name": "Soporte", "quantity": 1, "unit_price": 50000}],
            }
            created = client.documents.create_batch([document], use_defaults=True)
            batch = client.documents.wait_for_batch(created["batch_id"], interval=0.2, timeout=20)
            seen["batch"] = (batch["status"], batch["documents"][0]["status"])
            listed = client.documents.list(entity["id"], document_type="issued", page_size=10)
            seen["listed"] = listed["meta"]["total"]
            doc = client.documents.retrieve(listed["data"][0]["id"])
            seen["amount"] = doc["amount_with_iva"]
            client.documents.create_state(doc["id"], {"event_code": "PAID"})
            seen["states"] = [s["event_code"] for s in client.documents.list_states(doc["id"])["data"]]
            seen["updated"] = client.webhooks.update(hook["id"], {"is_active": True})["is_active"]
            seen["connections"] = [c["tax_id"] for c in client.connections.list()["data"]]
            try:
                client.documents.retrieve("docu_does_not_exist")
            except tupana.NotFoundError as error:
                seen["not_found"] = (error.status_code, error.code, bool(error.request_id))
            seen["hook_id"] = hook["id"]
            seen["retrieved"] = client.webhooks.retrieve(hook["id"])["url"]
            return seen

    def delete_hook(hook_id: str) -> int:
        with tupana.Tupana(api_key="sandbox_sdk_key", base_url=base, max_retries=0) as client:
            client.webhooks.delete(hook_id)
            return len(client.webhooks.list()["data"])

    try:
        seen = await asyncio.wait_for(asyncio.to_thread(drive), timeout=60)
        for _ in range(50):  # the delivery runs on this loop, after the SDK's last call
            if deliveries:
                break
            await asyncio.sleep(0.05)
        remaining = await asyncio.to_thread(delete_hook, seen["hook_id"])
    finally:
        await server.close()
        await hooks.close()
    assert seen["entity"] == "EMPRESA DEMO TUPANA SPA"
    assert seen["credential"] == "active"
    assert seen["webhook_listed"] == [seen["hook_id"]]
    assert seen["retrieved"] == hook_url
    assert remaining == 0
    assert seen["batch"] == ("completed", "success")
    assert (seen["listed"], seen["amount"]) == (1, 59500)
    assert seen["states"] == ["PAID", "ISSUED"]
    assert seen["updated"] is True
    assert seen["connections"] == ["76543210-3"]
    assert seen["not_found"] == (404, "resource_missing", True)
    body, headers = deliveries[0]
    event = tupana.Tupana(api_key="x").webhooks.unwrap(body, headers, "sdk-secret")
    assert event["event"] == "document.issued"
    with pytest.raises(tupana.WebhookVerificationError):
        tupana.Tupana(api_key="x").webhooks.unwrap(body, headers, "another-secret")
    assert app[VIOLATIONS] == [], "responses broke specs/tupana"


async def test_tupana_sdk_payment_requests_and_cessions_run_unchanged() -> None:
    """Every public method of `payment_requests` and `cessions`, against a live mock on the clock."""
    server = await _live_tupana()
    app = server.app
    base = str(server.make_url("/tupana/v2"))
    pay_url = str(server.make_url("/__admin/actions/tupana/pay-payment-request"))

    def drive() -> dict[str, Any]:
        import httpx

        seen: dict[str, Any] = {}
        with tupana.Tupana(api_key="sandbox_pay_key", base_url=base, max_retries=0) as client:
            client.request("POST", "/credentials/", body={"rut": "76543210-3", "password": "clave"})
            entity = client.master_entities.lookup("76543210-3")
            charge = {
                "recipient_id": "cliente-1",
                "amount": 11900,
                "target_dte_type": 33,
                "dte_recipient": {"rut": "76369187-K"},
                "items": [{"description": "Plan mensual", "quantity": 1, "unit_price": 10000}],
                "auto_issue": False,
                "external_id": "pedido-1",
            }
            made = client.payment_requests.create(charge)
            seen["again"] = (
                client.payment_requests.create(charge)["payment_request_id"] == made["payment_request_id"]
            )
            seen["pending"] = [
                r["payment_request_id"] for r in client.payment_requests.list(status="pending")["data"]
            ]
            paid = httpx.post(
                pay_url, json={"tenant": "sandbox_pay_key", "payment_request_id": made["payment_request_id"]}
            )
            seen["paid"] = paid.json()["status"]
            issued = client.payment_requests.issue(made["payment_request_id"])
            seen["issued"] = (issued["status"], issued["issued_document_id"] is not None)
            seen["retrieved"] = client.payment_requests.retrieve(made["payment_request_id"])["status"]
            document_id = str(issued["issued_document_id"])
            for _ in range(100):
                if client.documents.retrieve(document_id)["status"] == "success":
                    break
                time.sleep(0.05)
            seen["document"] = client.documents.retrieve(document_id)["state"]
            rut = "76798398"
            cession = client.cessions.create_batch(
                {
                    **cession_input(entity["id"], document_id, rut),
                    "document_ids": [document_id, "docu_not_there"],
                }
            )
            seen["cession_202"] = (cession["success"], cession["total"])
            for _ in range(100):
                batch = client.cessions.retrieve_batch(cession["cession_batch_id"])
                if batch["status"] != "processing":
                    break
                time.sleep(0.05)
            seen["cession_batch"] = (batch["status"], [c["status"] for c in batch["batch_cessions"]])
            seen["reason"] = batch["batch_cessions"][1]["status_message"]
            accepted = client.cessions.list(entity["id"], status="accepted", document_type="issued")
            seen["listed"] = [c["document_id"] for c in accepted["data"]]
            seen["one"] = client.cessions.retrieve(accepted["data"][0]["id"])["assignment_amount"]
            seen["received"] = client.cessions.list(entity["id"], document_type="received")["meta"]["total"]
            again = client.cessions.create_batch(cession_input(entity["id"], document_id, rut))
            for _ in range(100):
                second = client.cessions.retrieve_batch(again["cession_batch_id"])
                if second["status"] != "processing":
                    break
                time.sleep(0.05)
            seen["twice"] = second["batch_cessions"][0]["status_message"]
        return seen

    try:
        seen = await asyncio.wait_for(asyncio.to_thread(drive), timeout=60)
    finally:
        await server.close()
    assert seen["again"] is True  # the same external_id answers the original
    assert len(seen["pending"]) == 1 and seen["paid"] == "paid"
    assert seen["issued"] == ("issued", True) and seen["retrieved"] == "issued"
    assert seen["document"] == "accepted"
    assert seen["cession_202"] == (True, 2)
    assert seen["cession_batch"] == ("partial", ["accepted", "rejected"])
    assert seen["reason"] == "DTE no existe o no pertenece al cedente"
    assert seen["one"] == 11900 and seen["received"] == 0
    assert seen["twice"] == "El documento ya fue cedido"
    assert app[VIOLATIONS] == [], "responses broke specs/tupana"


def cession_input(ment: str, document_id: str, rut: str) -> dict[str, Any]:
    return {
        "master_entity_id": ment,
        "document_ids": [document_id],
        "assignee_rut": rut,
        "assignee_dv": check_digit(int(rut)),
        "assignee_business_name": "Factoring Demo SpA",
        "assignee_address": "Av. Apoquindo 1",
        "assignee_email": "cesiones@factoring.test",
    }
