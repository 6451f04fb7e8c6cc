"""Payment requests and cessions over HTTP: the two modes, expiry on the clock, the mock's pay
action, issuing a paid request once, and the SII deciding each ceded document."""

from __future__ import annotations

from typing import Any

from mockserver.core.kit.rut import check_digit
from mockserver.providers.tupana.entities import entity_id
from tests.providers.tupana.conftest import ISSUER, Tupana, factura

CHARGE = {
    "recipient_id": "cliente-1",
    "amount": 5950,
    "target_dte_type": 39,
    "items": [{"description": "Café", "quantity": 1, "unit_price": 5950}],
}


async def _pay(tupana: Tupana, ident: str) -> Any:
    body = {"tenant": "sandbox_test_key", "payment_request_id": ident}
    return await tupana.mock.client.post("/__admin/actions/tupana/pay-payment-request", json=body)


async def test_a_payment_request_needs_a_mode_and_an_enrolled_company(tupana: Tupana) -> None:
    response = await tupana.call("POST", "/payment-requests/", json={"recipient_id": "c"})
    assert (response.status, (await response.json())["error"]["code"]) == (422, "validation_error")
    response = await tupana.call("POST", "/payment-requests/", json=CHARGE)
    assert (await response.json())["error"]["code"] == "company_not_enrolled"


async def test_an_unpaid_request_expires_on_the_clock_and_a_paid_one_issues_its_boleta(
    tupana: Tupana,
) -> None:
    await tupana.enrol()
    late = await tupana.ok("POST", "/payment-requests/", 201, json={**CHARGE, "expires_in_minutes": 1})
    paid = await tupana.ok("POST", "/payment-requests/", 201, json=CHARGE)
    assert paid["payment_url"].endswith(f"/pay/{paid['payment_request_id']}")
    await tupana.mock.advance(61)
    assert (await tupana.ok("GET", f"/payment-requests/{late['payment_request_id']}/"))["status"] == "expired"
    assert (await _pay(tupana, late["payment_request_id"])).status == 400  # an expired request cannot be paid
    answer = await _pay(tupana, paid["payment_request_id"])
    assert answer.status == 200 and (await answer.json())["status"] == "issued"  # auto_issue
    again = await tupana.call(
        "PATCH", f"/payment-requests/{paid['payment_request_id']}/", json={"status": "issued"}
    )
    assert again.status == 409
    await tupana.mock.advance(5)
    issued = await tupana.ok("GET", f"/payment-requests/{paid['payment_request_id']}/")
    document = await tupana.ok("GET", f"/documents/{issued['issued_document_id']}/")
    assert (document["dte_type_code"], document["amount_with_iva"], document["state"]) == (
        "39",
        5950,
        "accepted",
    )
    listed = await tupana.ok("GET", "/payment-requests/?status=expired")
    assert [r["payment_request_id"] for r in listed["data"]] == [late["payment_request_id"]]


async def test_a_pending_request_is_not_issued(tupana: Tupana) -> None:
    await tupana.enrol()
    made = await tupana.ok("POST", "/payment-requests/", 201, json={**CHARGE, "auto_issue": False})
    response = await tupana.call(
        "PATCH", f"/payment-requests/{made['payment_request_id']}/", json={"status": "issued"}
    )
    assert (response.status, (await response.json())["error"]["code"]) == (409, "invalid_state")


async def test_the_sii_refuses_a_boleta_and_a_bad_assignee_in_a_cession(tupana: Tupana) -> None:
    await tupana.enrol()
    created = await (await tupana.batch([factura(), factura(dte_type={"code": "39"})])).json()
    await tupana.mock.advance(5)
    ids = [d["document"]["id"] for d in created["documents"]]
    entity = entity_id(ISSUER)
    body = {
        "master_entity_id": entity,
        "document_ids": ids,
        "assignee_rut": "76798398",
        "assignee_dv": check_digit(76798398),
        "assignee_business_name": "Factoring",
        "assignee_address": "A",
        "assignee_email": "f@f.test",
    }
    batch = await tupana.ok("POST", "/cessions/batch/", 202, json=body)
    pending = await tupana.ok("GET", f"/cessions/batch/{batch['cession_batch_id']}/")
    assert pending["status"] == "processing"
    await tupana.mock.advance(3)
    decided = await tupana.ok("GET", f"/cessions/batch/{batch['cession_batch_id']}/")
    assert decided["status"] == "partial"
    assert [c["status_message"] for c in decided["batch_cessions"]] == [
        "Cesión aceptada por el SII",
        "El tipo de documento 39 no es cedible",
    ]
    wrong = await tupana.ok(
        "POST",
        "/cessions/batch/",
        202,
        json={**body, "assignee_dv": "0" if check_digit(76798398) != "0" else "1"},
    )
    await tupana.mock.advance(3)
    refused = await tupana.ok("GET", f"/cessions/batch/{wrong['cession_batch_id']}/")
    assert refused["status"] == "failed" and refused["error_message"].startswith("El RUT del cesionario")
    found = await tupana.ok("GET", f"/cessions/?master_entity_id={entity}&search=Factoring&status=accepted")
    assert [c["document_id"] for c in found["data"]] == [ids[0]]
