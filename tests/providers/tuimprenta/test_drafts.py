"""Drafts (the seed's `draft` status): made with `"status": "draft"`, they have no number, control
number, PDF or XML and send no webhook until `POST /v1/invoices/{id}/issue` issues them."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from tests.providers.tuimprenta.conftest import Tuimprenta, invoice_body
from tests.providers.tuimprenta.test_batches import _receiver


async def _watch(ti: Tuimprenta, aiohttp_server: Any) -> list[tuple[bytes, Any]]:
    url, seen = await _receiver(aiohttp_server)
    await ti.mock.client.post(
        "/__admin/actions/tuimprenta/webhooks", json={"tenant": "ti_test_key", "url": url, "secret": "s"}
    )
    return seen


async def test_a_draft_has_no_number_control_number_files_or_webhook(
    ti: Tuimprenta, aiohttp_server: Any
) -> None:
    seen = await _watch(ti, aiohttp_server)
    draft = await ti.invoice(status="draft")
    assert draft["status"] == "draft"
    assert (draft["number"], draft["control_number"]) == (None, None)
    assert draft["links"] == {"pdf": None, "xml": None}
    assert draft["totals"] == {"subtotal": 12.0, "tax": 1.92, "total": 13.92}  # a draft shows its sums
    assert await ti.ok("GET", f"/invoices/{draft['id']}") == draft
    for file in ("pdf", "xml"):
        response = await ti.call("GET", f"/invoices/{draft['id']}/{file}")
        assert response.status == 409
        assert (await response.json())["error"]["code"] == "E3004"
    refused = await ti.call("POST", f"/invoices/{draft['id']}/cancel", json={"reason": "mistake"})
    assert (refused.status, (await refused.json())["error"]["code"]) == (409, "E3004")
    await ti.mock.settle_webhooks()
    assert seen == []
    emails = await ti.mock.client.post("/__admin/actions/tuimprenta/emails", json={"tenant": "ti_test_key"})
    assert (await emails.json())["emails"] == []


async def test_issuing_a_draft_numbers_it_after_the_invoices_issued_before_and_sends_the_webhook(
    ti: Tuimprenta, aiohttp_server: Any
) -> None:
    seen = await _watch(ti, aiohttp_server)
    draft = await ti.invoice(status="draft", issue_date=None)
    first = await ti.invoice()  # issued while the draft waits: it takes number 1
    await ti.mock.advance(2 * 86_400)
    issued = await ti.ok("POST", f"/invoices/{draft['id']}/issue")
    assert (first["number"], issued["number"]) == (1, 2)
    assert issued["status"] == "issued" and issued["control_number"] == "00-00000002"
    # undated, it is dated the day it is issued, not the day it was drafted
    drafted_on = date.fromisoformat(draft["issue_date"])
    assert issued["issue_date"] == (drafted_on + timedelta(days=2)).isoformat()
    assert issued["links"]["pdf"].endswith(f"/v1/invoices/{draft['id']}/pdf")
    pdf = await ti.call("GET", f"/invoices/{draft['id']}/pdf")
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")
    xml = await ti.call("GET", f"/invoices/{draft['id']}/xml")
    assert b"00-00000002" in await xml.read()
    await ti.mock.settle_webhooks()
    events = [json.loads(body) for body, _ in seen]
    assert [e["data"]["invoice_id"] for e in events if e["type"] == "invoice.issued"] == [
        first["id"],
        draft["id"],
    ]
    again = await ti.call("POST", f"/invoices/{draft['id']}/issue")
    assert (again.status, (await again.json())["error"]["code"]) == (409, "E3003")
    missing = await ti.call("POST", "/invoices/inv_nope/issue")
    assert (missing.status, (await missing.json())["error"]["code"]) == (404, "E3001")


async def test_status_draft_lists_only_drafts_and_an_unknown_status_is_refused(ti: Tuimprenta) -> None:
    draft = await ti.invoice(status="draft")
    issued = await ti.invoice(status="issued")
    listed = await ti.ok("GET", "/invoices", params={"status": "draft"})
    assert [i["id"] for i in listed["data"]] == [draft["id"]]
    listed = await ti.ok("GET", "/invoices", params={"status": "issued"})
    assert [i["id"] for i in listed["data"]] == [issued["id"]]
    wrong = await ti.call("POST", "/invoices", json=invoice_body(status="canceled"))
    assert wrong.status == 422
    error = (await wrong.json())["error"]
    assert (error["type"], error["field"]) == ("validation_error", "status")


async def test_issue_replays_with_its_idempotency_key(ti: Tuimprenta) -> None:
    draft = await ti.invoice(status="draft")
    headers = {"Idempotency-Key": "issue-once-0001"}
    first = await ti.ok("POST", f"/invoices/{draft['id']}/issue", headers=headers)
    again = await ti.ok("POST", f"/invoices/{draft['id']}/issue", headers=headers)
    assert again == first and first["number"] == 1


async def test_a_batch_can_make_drafts(ti: Tuimprenta) -> None:
    payload = [invoice_body(status="draft"), invoice_body(), invoice_body(status="sent")]
    batch = await ti.ok("POST", "/batches", 202, json={"type": "invoice.create", "payload": payload})
    await ti.mock.advance(5)
    rows = (await ti.ok("GET", f"/batches/{batch['id']}/result.json"))["rows"]
    assert [r["status"] for r in rows] == ["draft", "issued", "failed"]
    assert rows[2]["errors"][0]["field"] == "status"
    made = await ti.ok("GET", f"/invoices/{rows[0]['invoice_id']}")
    assert (made["status"], made["number"]) == ("draft", None)
