"""Invoices: creation, totals, fiscal validation, idempotency, cancel, cursor lists, PDF and XML, limits."""

from __future__ import annotations

import io
from typing import Any

import pytest
import yaml
from lxml import etree
from pypdf import PdfReader

from tests.conftest import Mock
from tests.providers.tuimprenta.conftest import V1, Tuimprenta, invoice_body


async def test_ping_and_rate_limit_headers_on_every_response(ti: Tuimprenta) -> None:
    response = await ti.call("GET", "/ping")
    assert response.status == 200 and (await response.json())["ok"] is True
    assert response.headers["X-RateLimit-Limit"] == "60"
    assert response.headers["X-RateLimit-Remaining"] == "59"
    assert int(response.headers["X-RateLimit-Reset"]) > ti.mock.runtime.clock.now()
    missing = await ti.call("GET", "/invoices/inv_nope")
    assert "X-RateLimit-Remaining" in missing.headers


async def test_missing_key_is_401_in_the_seeds_format(mock: Mock) -> None:
    response = await mock.client.get(f"{V1}/ping")
    assert response.status == 401
    error = (await response.json())["error"]
    assert (error["type"], error["code"]) == ("authentication_error", "E4001")
    assert set(error) == {"type", "message", "field", "code"}


async def test_60_a_minute_then_429_but_batches_are_excepted(ti: Tuimprenta) -> None:
    for _ in range(60):
        await ti.call("GET", "/ping")
    over = await ti.call("GET", "/ping")
    assert over.status == 429
    assert int(over.headers["Retry-After"]) >= 1
    assert (await over.json())["error"]["code"] == "E4290"
    batch = await ti.call("POST", "/batches", json={"type": "invoice.create", "payload": [invoice_body()]})
    assert batch.status == 202
    assert batch.headers["X-RateLimit-Remaining"] == "0"
    await ti.mock.advance(60)
    assert (await ti.call("GET", "/ping")).status == 200


async def test_the_seed_invoice_totals_links_metadata_and_email(ti: Tuimprenta) -> None:
    inv = await ti.invoice()
    assert inv["totals"] == {"subtotal": 12.0, "tax": 1.92, "total": 13.92}
    assert (inv["series"], inv["number"], inv["status"], inv["currency"]) == ("TD-2025", 1, "issued", "USD")
    assert inv["id"].startswith("inv_") and inv["control_number"] == "00-00000001"
    assert inv["links"]["pdf"].endswith(f"/tuimprenta/v1/invoices/{inv['id']}/pdf")
    assert inv["metadata"] == {"order_id": "TD-00123"}
    emails = await ti.mock.client.post("/__admin/actions/tuimprenta/emails", json={"tenant": "ti_test_key"})
    assert [e["invoice_id"] for e in (await emails.json())["emails"]] == [inv["id"]]


async def test_numbers_are_sequential_per_series(ti: Tuimprenta) -> None:
    numbers = [(await ti.invoice(series=s))["number"] for s in ("A", "A", "B", "A")]
    assert numbers == [1, 2, 1, 3]


async def test_totals_round_per_line_and_per_tax_rate(ti: Tuimprenta) -> None:
    items = [
        {"description": "a", "qty": 3, "unit_price": 3.335, "tax_rate": 0.16},
        {"description": "b", "qty": 1, "unit_price": 10.005, "tax_rate": 0.08},
        {"description": "c", "qty": 2, "unit_price": 5, "tax_rate": 0},
        {"description": "d", "qty": 1, "unit_price": 100, "tax_rate": 0.31},
    ]
    inv = await ti.invoice(items=items)
    # lines: 10.01 (3 x 3.335 = 10.005), 10.01, 10.00, 100.00; tax: 16 % 1.60, 8 % 0.80, 31 % 31.00
    assert inv["totals"] == {"subtotal": 130.02, "tax": 33.4, "total": 163.42}


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"customer": {"name": "X", "tax_id": "J-12345678-5"}}, 402, "E2001", "customer.tax_id"),
        (
            {"items": [{"description": "x", "qty": 1, "unit_price": 1, "tax_rate": 0.2}]},
            402,
            "E2002",
            "items[0].tax_rate",
        ),
        ({"customer": {"name": "X", "tax_id": "123"}}, 402, "E2001", "customer.tax_id"),  # as in a batch
        ({"customer": {"name": "X"}}, 422, "E1001", "customer.tax_id"),
        ({"items": []}, 422, "E1003", "items"),
        ({"currency": "BTC"}, 422, "E1003", "currency"),
    ],
)
async def test_errors_carry_stable_codes_and_field_paths(
    ti: Tuimprenta, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    response = await ti.call("POST", "/invoices", json=invoice_body(**change))
    assert response.status == status
    error = (await response.json())["error"]
    assert (error["code"], error["field"]) == (code, field)


async def test_the_seeds_required_field_message(ti: Tuimprenta) -> None:
    response = await ti.call("POST", "/invoices", json=invoice_body(customer={"name": "X"}))
    assert (await response.json())["error"] == {
        "type": "validation_error",
        "message": "El campo tax_id es requerido",
        "field": "customer.tax_id",
        "code": "E1001",
    }


async def test_idempotency_key_replays_and_conflicts(ti: Tuimprenta) -> None:
    headers = {"Idempotency-Key": "8d8a3b1f-5b8d-4a8c-a2a0-9df000000001"}
    first = await ti.ok("POST", "/invoices", 201, json=invoice_body(), headers=headers)
    again = await ti.ok("POST", "/invoices", 201, json=invoice_body(), headers=headers)
    assert again["id"] == first["id"]
    conflict = await ti.call("POST", "/invoices", json=invoice_body(series="OTHER"), headers=headers)
    assert conflict.status == 409
    assert (await conflict.json())["error"]["code"] == "E4090"


async def test_get_404_cancel_and_a_second_cancel(ti: Tuimprenta) -> None:
    missing = await ti.call("GET", "/invoices/inv_nope")
    assert (missing.status, (await missing.json())["error"]["code"]) == (404, "E3001")
    inv = await ti.invoice()
    canceled = await ti.ok("POST", f"/invoices/{inv['id']}/cancel", json={"reason": "mistake"})
    assert (canceled["status"], canceled["cancel_reason"]) == ("canceled", "mistake")
    again = await ti.call("POST", f"/invoices/{inv['id']}/cancel", json={"reason": "twice"})
    assert (again.status, (await again.json())["error"]["code"]) == (409, "E3002")


async def test_cancel_accepts_the_seeds_curl_that_sends_json_form_encoded(ti: Tuimprenta) -> None:
    inv = await ti.invoice()
    response = await ti.call(
        "POST",
        f"/invoices/{inv['id']}/cancel",
        data=b'{"reason":"mistake"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    assert (await response.json())["cancel_reason"] == "mistake"


async def test_cursor_pagination_both_ways_and_stable_under_inserts(ti: Tuimprenta) -> None:
    ids = [(await ti.invoice())["id"] for _ in range(7)]
    newest = list(reversed(ids))
    first = await ti.ok("GET", "/invoices", params={"limit": 3})
    assert [i["id"] for i in first["data"]] == newest[:3]
    assert (first["prev_cursor"], first["next_cursor"]) == (None, newest[2])
    await ti.invoice()  # a new invoice arrives while the client pages
    second = await ti.ok("GET", "/invoices", params={"limit": 3, "starting_after": first["next_cursor"]})
    assert [i["id"] for i in second["data"]] == newest[3:6]
    assert second["prev_cursor"] == newest[3]
    third = await ti.ok("GET", "/invoices", params={"limit": 3, "starting_after": second["next_cursor"]})
    assert [i["id"] for i in third["data"]] == newest[6:]
    assert third["next_cursor"] is None
    back = await ti.ok("GET", "/invoices", params={"limit": 3, "ending_before": second["prev_cursor"]})
    assert [i["id"] for i in back["data"]] == newest[:3]


async def test_list_filters(ti: Tuimprenta) -> None:
    a = await ti.invoice(series="A")
    b = await ti.invoice(series="B")
    await ti.ok("POST", f"/invoices/{b['id']}/cancel", json={"reason": "x"})
    assert [i["id"] for i in (await ti.ok("GET", "/invoices", params={"series": "A"}))["data"]] == [a["id"]]
    assert [i["id"] for i in (await ti.ok("GET", "/invoices", params={"status": "canceled"}))["data"]] == [
        b["id"]
    ]
    today = ti.mock.runtime.clock.utcnow().date().isoformat()
    assert (
        len((await ti.ok("GET", "/invoices", params={"created_from": today, "created_to": today}))["data"])
        == 2
    )
    assert (await ti.ok("GET", "/invoices", params={"created_from": "2099-01-01"}))["data"] == []
    bad = await ti.call("GET", "/invoices", params={"created_from": "yesterday"})
    assert bad.status == 422


async def test_pdf_and_xml_with_the_control_number(ti: Tuimprenta) -> None:
    inv = await ti.invoice()
    pdf = await ti.call("GET", f"/invoices/{inv['id']}/pdf")
    text = PdfReader(io.BytesIO(await pdf.read())).pages[0].extract_text()
    assert "N° de Control: 00-00000001" in text and "13.92" in text
    xml = etree.fromstring(await (await ti.call("GET", f"/invoices/{inv['id']}/xml")).read())
    assert xml.findtext("Encabezado/NumeroControl") == "00-00000001"
    assert xml.findtext("Encabezado/ImprentaDigital/Providencia")
    assert xml.findtext("Totales/Total") == "13.92"


async def test_each_key_is_its_own_sandbox(mock: Mock) -> None:
    alice, bob = Tuimprenta(mock, "key-alice"), Tuimprenta(mock, "key-bob")
    inv = await alice.invoice()
    assert (await bob.call("GET", f"/invoices/{inv['id']}")).status == 404
    assert (await bob.ok("GET", "/invoices"))["data"] == []
    assert (await bob.invoice())["number"] == 1


async def test_the_openapi_document_is_where_the_docs_promise(mock: Mock) -> None:
    for path, headers in (
        ("/tuimprenta/assets/api/openapi.yaml", {}),
        ("/assets/api/openapi.yaml", {"Host": "api.tuimprenta.digital"}),
    ):
        response = await mock.client.get(path, headers=headers)
        assert response.status == 200
        assert yaml.safe_load(await response.text())["info"]["title"].startswith("tuimprenta")
