"""Batches: JSON and multipart (CSV with BOM and quotes, JSON file), grouping, partial results, webhooks."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import itertools
import json
from typing import Any

from aiohttp import FormData, web

from tests.providers.tuimprenta.conftest import Tuimprenta, invoice_body

HEADER = (
    "series,issue_date,customer_name,customer_tax_id,customer_email,item_description,item_qty,"
    "item_unit_price,tax_rate,currency,metadata_order_id"
)


def csv_form(text: str, *, bom: bool = True, callback: str | None = None, name: str = "lote.csv") -> FormData:
    form = FormData()
    form.add_field("type", "invoice.create")
    if callback:
        form.add_field("callback_url", callback)
    data = ("\ufeff" if bom else "") + text
    form.add_field("file", data.encode("utf-8"), filename=name, content_type="text/csv")
    return form


async def _receiver(aiohttp_server: Any, status: int = 200) -> tuple[str, list[tuple[bytes, Any]]]:
    seen: list[tuple[bytes, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append((await request.read(), request.headers.copy()))
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/cb", hook)
    server = await aiohttp_server(app)
    return str(server.make_url("/cb")), seen


def verify(secret: str, header: str, body: bytes) -> bool:
    """A receiver's check: sha256=<hex HMAC-SHA256(secret, raw body)>."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


async def _secret(ti: Tuimprenta) -> str:
    response = await ti.mock.client.post(
        "/__admin/actions/tuimprenta/webhooks", json={"tenant": "ti_test_key"}
    )
    return str((await response.json())["secret"])


async def test_the_seeds_json_batch_moves_queued_processing_completed(
    ti: Tuimprenta, aiohttp_server: Any
) -> None:
    url, seen = await _receiver(aiohttp_server)
    payload = [
        {
            "series": "TD-2025",
            "customer": {"name": "A", "tax_id": "J-12345678-4"},
            "items": [{"description": "Item A", "qty": 1, "unit_price": 10}],
        },
        {
            "series": "TD-2025",
            "customer": {"name": "B", "tax_id": "J-30000000-1"},
            "items": [{"description": "Item B", "qty": 2, "unit_price": 5}],
        },
    ]
    batch = await ti.ok(
        "POST", "/batches", 202, json={"type": "invoice.create", "payload": payload, "callback_url": url}
    )
    assert (batch["status"], batch["counts"]) == ("queued", {"queued": 2, "processed": 0, "failed": 0})
    assert batch["result_url"].endswith(f"/v1/batches/{batch['id']}/result.csv")
    early = await ti.call("GET", f"/batches/{batch['id']}/result.json")
    assert (early.status, (await early.json())["error"]["code"]) == (409, "E3003")
    await ti.mock.advance(1)  # queued 1 s
    assert (await ti.ok("GET", f"/batches/{batch['id']}"))["status"] == "processing"  # a poller sees it
    await ti.mock.advance(1)  # processing 1 s (10 ms an invoice, a second at least)
    done = await ti.ok("GET", f"/batches/{batch['id']}")
    assert (done["status"], done["counts"]) == ("completed", {"queued": 2, "processed": 2, "failed": 0})
    result = await ti.ok("GET", f"/batches/{batch['id']}/result.json")
    assert [r["status"] for r in result["rows"]] == ["issued", "issued"]
    await ti.mock.settle_webhooks()
    body, headers = seen[0]
    assert verify(await _secret(ti), headers["X-Tuimprenta-Signature"], body)
    event = json.loads(body)
    assert (event["type"], event["data"]["status"]) == ("batch.completed", "completed")
    assert event["id"].startswith("evt_") and event["signature"].startswith("sha256=")
    inner = {k: v for k, v in event.items() if k != "signature"}
    assert verify(
        await _secret(ti),
        event["signature"],
        json.dumps(inner, ensure_ascii=False, separators=(",", ":")).encode(),
    )


async def test_csv_with_bom_quotes_and_rows_grouped_by_order(ti: Tuimprenta) -> None:
    text = "\n".join(
        [
            HEADER,
            'TD-2025,2025-11-07,"Inversiones ABC, C.A.",J-12345678-4,admin@abc.com,'
            '"Tarjetas 9x5, mate",1,12.00,0.16,USD,TD-1',
            "TD-2025,2025-11-07,Inversiones ABC,J-12345678-4,admin@abc.com,Volantes,2,5.00,0.16,USD,TD-1",
            "TD-2025,2025-11-07,Otra Cliente,V-12345678-1,,Afiche,1,3.50,0.08,USD,TD-2",
        ]
    )
    batch = await ti.ok("POST", "/batches", 202, data=csv_form(text))
    assert batch["counts"]["queued"] == 2
    await ti.mock.advance(2)  # queued 1 s, processing 1 s
    result = await ti.ok("GET", f"/batches/{batch['id']}/result.json")
    rows = result["rows"]
    assert [(r["row"], r["order_id"], r["status"]) for r in rows] == [
        (1, "TD-1", "issued"),
        (2, "TD-1", "issued"),
        (3, "TD-2", "issued"),
    ]
    assert rows[0]["invoice_id"] == rows[1]["invoice_id"] != rows[2]["invoice_id"]
    invoice = await ti.ok("GET", f"/invoices/{rows[0]['invoice_id']}")
    assert invoice["customer"]["name"] == "Inversiones ABC, C.A."
    assert [i["description"] for i in invoice["items"]] == ["Tarjetas 9x5, mate", "Volantes"]
    assert invoice["totals"] == {"subtotal": 22.0, "tax": 3.52, "total": 25.52}
    assert invoice["metadata"] == {"order_id": "TD-1"}


async def test_bad_rows_make_a_partial_batch_with_per_row_errors_and_nothing_lost(ti: Tuimprenta) -> None:
    text = "\n".join(
        [
            HEADER,
            "TD-2025,2025-11-07,Buena,J-12345678-4,,Item,1,10,0.16,USD,OK-1",
            "TD-2025,2025-11-07,Mala cantidad,J-12345678-4,,Item,cero,10,0.16,USD,BAD-1",
            "TD-2025,2025-11-07,RIF malo,J-12345678-5,,Item,1,10,0.16,USD,BAD-2",
            "TD-2025,2025-11-07,Grupo,J-30000000-1,,Item bueno,1,10,0.16,USD,BAD-3",
            "TD-2025,2025-11-07,Grupo,J-30000000-1,,,1,10,0.16,USD,BAD-3",
            "TD-2025,2025-11-07,Alicuota,J-12345678-4,,Item,1,10,0.5,USD,BAD-4",
        ]
    )
    batch = await ti.ok("POST", "/batches", 202, data=csv_form(text, bom=False))
    await ti.mock.advance(2)  # queued 1 s, processing 1 s
    done = await ti.ok("GET", f"/batches/{batch['id']}")
    assert (done["status"], done["counts"]) == ("partial", {"queued": 5, "processed": 1, "failed": 4})
    rows = (await ti.ok("GET", f"/batches/{batch['id']}/result.json"))["rows"]
    assert len(rows) == 6
    codes = {r["row"]: r["errors"][0]["code"] if r["errors"] else None for r in rows}
    assert codes == {1: None, 2: "E1002", 3: "E2001", 4: "E1009", 5: "E1001", 6: "E2002"}
    result_csv = await ti.call("GET", f"/batches/{batch['id']}/result.csv")
    table = list(csv.DictReader(io.StringIO(await result_csv.text())))
    assert [r["status"] for r in table] == ["issued", "failed", "failed", "failed", "failed", "failed"]
    assert table[1]["error_field"] == "items[0].qty"


async def test_a_batch_where_everything_fails_is_failed(ti: Tuimprenta) -> None:
    batch = await ti.ok(
        "POST", "/batches", 202, json={"payload": [invoice_body(customer={"name": "X", "tax_id": "J-1"})]}
    )
    await ti.mock.advance(2)  # queued 1 s, processing 1 s
    assert (await ti.ok("GET", f"/batches/{batch['id']}"))["status"] == "failed"


async def test_a_json_file_upload(ti: Tuimprenta) -> None:
    form = FormData()
    form.add_field(
        "file",
        json.dumps([invoice_body(), invoice_body()]).encode(),
        filename="lote.json",
        content_type="application/json",
    )
    batch = await ti.ok("POST", "/batches", 202, data=form)
    await ti.mock.advance(2)  # queued 1 s, processing 1 s
    assert (await ti.ok("GET", f"/batches/{batch['id']}"))["counts"]["processed"] == 2


async def test_upload_errors(ti: Tuimprenta) -> None:
    missing_column = await ti.call("POST", "/batches", data=csv_form("series,customer_name\nA,B"))
    assert (missing_column.status, (await missing_column.json())["error"]["code"]) == (422, "E1001")
    wrong_type = await ti.call(
        "POST", "/batches", json={"type": "invoice.delete", "payload": [invoice_body()]}
    )
    assert (await wrong_type.json())["error"]["field"] == "type"


async def test_a_10000_row_csv_is_accepted_and_processed(ti: Tuimprenta) -> None:
    lines = [HEADER] + [
        f"TD-2025,2025-11-07,Cliente {n},J-12345678-4,,Item {n},1,{n % 50 + 1}.00,0.16,USD,ORD-{n // 2}"
        for n in range(10_000)
    ]
    batch = await ti.ok("POST", "/batches", 202, data=csv_form("\n".join(lines)))
    assert batch["counts"]["queued"] == 5000
    await ti.mock.advance(1 + 50)  # queued, then 10 ms of processing per invoice
    done = await ti.ok("GET", f"/batches/{batch['id']}")
    assert (done["status"], done["counts"]["processed"]) == ("completed", 5000)
    rows = (await ti.ok("GET", f"/batches/{batch['id']}/result.json"))["rows"]
    assert len(rows) == 10_000 and all(r["status"] == "issued" for r in rows)


async def test_key_endpoints_get_invoice_events(ti: Tuimprenta, aiohttp_server: Any) -> None:
    url, seen = await _receiver(aiohttp_server)
    await ti.mock.client.post(
        "/__admin/actions/tuimprenta/webhooks",
        json={"tenant": "ti_test_key", "url": url, "secret": "endpoint-secret"},
    )
    inv = await ti.invoice()
    await ti.ok("POST", f"/invoices/{inv['id']}/cancel", json={"reason": "mistake"})
    await ti.mock.settle_webhooks()
    events = [json.loads(b) for b, _ in seen]
    assert sorted(e["type"] for e in events) == ["invoice.canceled", "invoice.issued"]
    issued = next(e for e in events if e["type"] == "invoice.issued")
    assert issued["data"] == {
        "invoice_id": inv["id"],
        "series": "TD-2025",
        "number": 1,
        "total": 13.92,
        "status": "issued",
    }
    assert all(verify("endpoint-secret", h["X-Tuimprenta-Signature"], b) for b, h in seen)


async def test_a_failing_receiver_is_retried_for_24_hours_then_given_up(
    ti: Tuimprenta, aiohttp_server: Any
) -> None:
    url, seen = await _receiver(aiohttp_server, status=500)
    await ti.mock.client.post(
        "/__admin/actions/tuimprenta/webhooks", json={"tenant": "ti_test_key", "url": url}
    )
    await ti.invoice()
    await ti.mock.settle_webhooks()
    hours = 0
    while hours < 26:
        await ti.mock.advance(1800)
        await ti.mock.settle_webhooks()
        hours += 0.5
    log = await (await ti.mock.client.get("/__admin/webhooks?provider=tuimprenta")).json()
    delivery = log["deliveries"][0]
    assert delivery["state"] == "failed"
    attempts = delivery["attempts"]
    assert len(attempts) == len(seen) >= 8
    assert attempts[-1]["at"] - attempts[0]["at"] <= 24 * 3600
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(attempts)]
    assert gaps[:3] == sorted(gaps[:3])  # exponential back-off


async def test_a_callback_url_that_is_not_an_absolute_uri_is_refused(ti: Tuimprenta) -> None:
    # found by fuzzing: `format: uri` went unchecked (jsonschema needs an extra package for it)
    rows = [{"series": "A", "customer": {"name": "A", "tax_id": "J-12345678-4"}, "items": []}]
    for url in ("", "not a url", "/relative"):
        body = {"type": "invoice.create", "payload": rows, "callback_url": url}
        response = await ti.call("POST", "/batches", json=body)
        assert response.status == 422, url
        assert (await response.json())["error"]["field"] == "callback_url"


async def test_the_journal_shows_an_upload_by_name_type_and_size(ti: Tuimprenta) -> None:
    # an upload's bytes once made /__admin/requests fail (bytes are not JSON) and sat in the journal
    await ti.call("POST", "/batches", data=csv_form("series,customer_name\nA,B"))
    journal = await (await ti.mock.client.get("/__admin/requests?limit=1")).json()
    body = journal["requests"][0]["request_body"]
    assert body["file"] == {"filename": "lote.csv", "content_type": "text/csv", "size": 27}


async def test_a_bare_array_of_invoices_is_a_batch_and_its_result_is_served_without_extension(
    ti: Tuimprenta,
) -> None:
    batch = await ti.ok("POST", "/batches", 202, json=[invoice_body(), invoice_body(series="B")])
    assert batch["type"] == "invoice.create"
    await ti.mock.advance(60)
    response = await ti.call("GET", f"/batches/{batch['id']}/result")
    assert response.status == 200 and response.content_type == "text/csv"
    same = await ti.call("GET", f"/batches/{batch['id']}/result.csv")
    assert await response.text() == await same.text()


async def test_a_malformed_rif_is_e2001_alone_and_in_a_batch(ti: Tuimprenta) -> None:
    """The seed's own batch example sends `J-1`: one rule, one code, wherever it is sent."""
    alone = await ti.call("POST", "/invoices", json=invoice_body(customer={"name": "A", "tax_id": "J-1"}))
    assert (alone.status, (await alone.json())["error"]["code"]) == (402, "E2001")
    batch = await ti.ok(
        "POST", "/batches", 202, json={"payload": [invoice_body(customer={"name": "A", "tax_id": "J-1"})]}
    )
    await ti.mock.advance(60)
    rows = (await ti.ok("GET", f"/batches/{batch['id']}/result.json"))["rows"]
    assert rows[0]["errors"][0]["code"] == "E2001"
