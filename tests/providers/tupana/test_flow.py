"""The whole flow over HTTP: entity → credential → webhook → batch → poll → signed webhooks → documents."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from typing import Any

from aiohttp import web
from lxml import etree
from pypdf import PdfReader

from mockserver.core.services.masking import tenant_label
from mockserver.providers.tupana.entities import entity_id
from tests.providers.tupana.conftest import ISSUER, RECEIVER, Tupana, factura


async def _receiver(aiohttp_server: Any, fail_first: int = 0) -> tuple[str, list[tuple[bytes, Any]]]:
    seen: list[tuple[bytes, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append((await request.read(), request.headers.copy()))
        return web.Response(status=500 if len(seen) <= fail_first else 200)

    app = web.Application()
    app.router.add_post("/pana", hook)
    server = await aiohttp_server(app)
    return str(server.make_url("/pana")), seen


async def test_master_entity_lookup_is_deterministic_with_real_activity_codes(tupana: Tupana) -> None:
    known = await tupana.ok("GET", "/master-entities/", params={"rut": "76543210-3"})
    assert (known["id"], known["name"]) == (entity_id(ISSUER), "EMPRESA DEMO TUPANA SPA")
    assert known["activities"][0] == {
        "code": 620100,
        "name": "ACTIVIDADES DE PROGRAMACIÓN INFORMÁTICA",
        "is_main": True,
    }
    made_up = await tupana.ok("GET", "/master-entities/", params={"rut": "12.345.678-5"})
    again = await tupana.ok("GET", "/master-entities/", params={"rut": "12345678-5"})
    assert made_up == again
    assert made_up["id"].startswith("ment_") and made_up["addresses"] and made_up["activities"]


async def test_an_invalid_rut_is_400(tupana: Tupana) -> None:
    response = await tupana.call("GET", "/master-entities/", params={"rut": "12345678-9"})
    assert response.status == 400
    error = (await response.json())["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "invalid_rut", "rut")
    assert error["request_id"] == response.headers["X-Request-Id"]


async def test_credentials_validate_and_enrol(tupana: Tupana) -> None:
    active = await tupana.enrol()
    assert (active["status"], active["environment"]) == ("active", "sandbox")
    assert "password" not in json.dumps(active)
    wrong = await tupana.enrol(RECEIVER, password="wrong-password")
    locked = await tupana.enrol("96874030-K", password="locked-account")
    assert (wrong["status"], wrong["error"]["code"]) == ("invalid", "sii_invalid_password")
    assert locked["error"]["code"] == "sii_account_locked"
    listing = await tupana.ok("GET", "/credentials/")
    assert listing["meta"]["total"] == 3
    connections = await tupana.ok("GET", "/connections/")
    assert {c["tax_id"]: c["status"] for c in connections["data"]} == {
        ISSUER: "active",
        RECEIVER: "requires_action",
        "96874030-K": "requires_action",
    }


async def test_full_flow_with_defaults_and_signed_webhooks(tupana: Tupana, aiohttp_server: Any) -> None:
    url, seen = await _receiver(aiohttp_server)
    await tupana.enrol()
    ment = entity_id(ISSUER)
    hook = await tupana.ok(
        "POST",
        "/webhooks/",
        201,
        json={
            "master_entity_id": ment,
            "url": url,
            "secret": "s3cr3t",
            "events": ["document.issued", "document.paid"],
        },
    )
    assert hook["id"].startswith("dowe_") and hook["secret"] == "********"
    response = await tupana.batch([factura(json_param={"external_order_id": "PED-1"})])
    assert response.status == 202
    created = await response.json()
    assert created["status"] == "created"
    assert created["documents"][0]["status"] == "created"
    assert {w["field"] for w in created["warnings"]} >= {
        "document_issuer.business_name",
        "date_issued",
        "document_receiver.business_name",
        "header.payment_method",
    }
    batch_id = created["batch_id"]
    await tupana.mock.advance(1)
    assert (await tupana.ok("GET", f"/documents/batch/{batch_id}/"))["status"] == "processing"
    await tupana.mock.advance(2)
    batch = await tupana.ok("GET", f"/documents/batch/{batch_id}/")
    assert batch["status"] == "completed"
    entry = batch["documents"][0]
    assert (entry["status"], entry["document"]["folio"], entry["document"]["amount_with_iva"]) == (
        "success",
        "1",
        23800,
    )
    await tupana.mock.settle_webhooks()
    body, headers = seen[0]
    assert headers["X-Pana-Signature"] == hmac.new(b"s3cr3t", body, hashlib.sha256).hexdigest()
    assert headers["User-Agent"] == "Pana-Webhook/1.0"
    assert headers["X-Pana-Event-Type"] == "document.issued"
    for name in ("X-Pana-Event-Id", "X-Pana-Delivery", "X-Pana-Timestamp"):
        assert headers[name]
    event = json.loads(body)
    assert event["event"] == "document.issued"
    doc = event["data"]
    assert (doc["dte_type_code"], doc["amount_without_iva"], doc["amount_iva"]) == ("33", 20000, 3800)
    assert (
        doc["sender_name"] == "EMPRESA DEMO TUPANA SPA"
        and doc["receiver_name"] == "COMERCIALIZADORA ANDES LIMITADA"
    )
    # the final XML and PDF from the event's presigned URLs
    xml = await tupana.mock.client.get("/" + doc["xml"].split("/", 3)[3])
    root = etree.fromstring(await xml.read())
    assert root.findtext(".//{*}Folio") == "1" and root.findtext(".//{*}MntTotal") == "23800"
    pdf = await tupana.mock.client.get("/" + doc["pdf"].split("/", 3)[3])
    assert "FACTURA ELECTRÓNICA" in PdfReader(io.BytesIO(await pdf.read())).pages[0].extract_text()
    # list, detail, states
    listing = await tupana.ok(
        "GET", "/documents/", params={"master_entity_id": ment, "json_param__external_order_id": "PED-1"}
    )
    assert [d["id"] for d in listing["data"]] == [doc["id"]]
    received = await tupana.ok(
        "GET", "/documents/", params={"master_entity_id": entity_id(RECEIVER), "document_type": "received"}
    )
    assert [d["id"] for d in received["data"]] == [doc["id"]]
    detail = await tupana.ok("GET", f"/documents/{doc['id']}/")
    assert [t["code"] for t in detail["traces"]] == ["REC", "EPR", "DOK"]
    paid = await tupana.ok("POST", f"/documents/{doc['id']}/states/", 201, json={"event_code": "PAID"})
    assert paid["event_code"] == "PAID"
    assert (await tupana.ok("GET", f"/documents/{doc['id']}/"))["is_paid"] is True
    states = await tupana.ok("GET", f"/documents/{doc['id']}/states/")
    assert [s["event_code"] for s in states["data"]] == ["PAID", "ISSUED"]
    await tupana.mock.settle_webhooks()
    assert [json.loads(b)["event"] for b, _ in seen] == ["document.issued", "document.paid"]
    webhook = await tupana.ok("GET", f"/webhooks/{hook['id']}/")
    assert (webhook["success_rate"], webhook["last_status_code"]) == (100.0, 200)
    assert webhook["last_sent_at"]


async def test_without_defaults_missing_data_makes_the_document_invalid(tupana: Tupana) -> None:
    await tupana.enrol()
    created = await (await tupana.batch([factura()], defaults=False)).json()
    assert created["status"] == "failed"
    entry = created["documents"][0]
    assert entry["status"] == "invalid"
    assert {e["field"] for e in entry["errors"]} >= {
        "document_issuer.business_name",
        "document_receiver.address",
    }
    complete = factura(
        document_issuer={
            "rut": ISSUER,
            "business_name": "EMPRESA DEMO TUPANA SPA",
            "business_activity": "Programación",
            "address": "Apoquindo 4501",
            "district": "Las Condes",
            "city": "Santiago",
        },
        document_receiver={
            "rut": RECEIVER,
            "business_name": "Andes",
            "business_activity": "Comercio",
            "address": "Providencia 1234",
            "district": "Providencia",
            "city": "Santiago",
        },
        date_issued="2026-11-20",
    )
    ok = await (await tupana.batch([complete], defaults=False)).json()
    assert ok["documents"][0]["status"] == "created" and ok["warnings"] == []


async def test_use_defaults_takes_the_custom_address_and_activity(tupana: Tupana) -> None:
    await tupana.enrol()
    entity = await tupana.ok("GET", "/master-entities/", params={"rut": ISSUER})
    branch = entity["addresses"][1]
    doc = factura(document_issuer={"rut": ISSUER, "address_id": branch["id"], "activity_code": 620200})
    created = await (await tupana.batch([doc])).json()
    sender = created["documents"][0]["document"]["sender"]
    assert (sender["address"], sender["district"], sender["activity_code"]) == (
        branch["address"],
        "Concepción",
        620200,
    )


async def test_v1_accepts_use_default_in_the_body_and_200_documents(tupana: Tupana) -> None:
    await tupana.enrol()
    response = await tupana.call(
        "POST",
        "/documents/batch",
        base="/tupana/v1",
        json={"documents": [factura()], "use_default": True},
        headers={"Idempotency-Key": "v1-key"},
    )
    assert response.status == 202
    assert (await response.json())["documents"][0]["document"]["sender"][
        "business_name"
    ] == "EMPRESA DEMO TUPANA SPA"
    too_many = await tupana.call(
        "POST", "/documents/batch", base="/tupana/v1", json={"documents": [factura()] * 201}
    )
    assert too_many.status == 413


async def test_document_validation_rules(tupana: Tupana) -> None:
    await tupana.enrol()
    docs = [
        factura(dte_type={"code": "99"}),
        factura(document_receiver={"rut": "12345678-9"}),
        factura(dte_type={"code": "61"}),
        factura(details=[{"item_name": "x", "quantity": 0, "unit_price": 10}]),
        factura(details=[{"item_name": "x", "quantity": 1, "gross_unit_price": 1190}]),
        {
            "dte_type": {"code": "39"},
            "document_issuer": {"rut": ISSUER},
            "details": [{"item_name": "Café", "quantity": 1, "gross_unit_price": 2380}],
        },
        factura(document_issuer={"rut": "96874030-K"}),
    ]
    created = await (await tupana.batch(docs)).json()
    codes = [[e["code"] for e in d.get("errors", [])] for d in created["documents"]]
    assert codes[0] == ["invalid_dte_type"]
    assert codes[1] == ["invalid_rut"]
    assert codes[2] == ["references_required"]
    assert codes[3] == ["invalid_amount"]
    assert codes[4] == ["gross_price_not_allowed"]
    assert codes[5] == []
    assert codes[6] == ["company_not_enrolled"]
    boleta = created["documents"][5]["document"]["document_total"]
    assert boleta == {"net": 2000, "exempt": 0, "iva": 380, "total": 2380}


async def test_no_active_credential_fails_and_the_batch_fails_at_intake(
    tupana: Tupana, aiohttp_server: Any
) -> None:
    url, seen = await _receiver(aiohttp_server)
    await tupana.enrol(password="wrong-password")
    await tupana.ok(
        "POST",
        "/webhooks/",
        201,
        json={"master_entity_id": entity_id(ISSUER), "url": url, "events": ["batch.intake_failed"]},
    )
    created = await (await tupana.batch([factura()])).json()
    assert created["status"] == "failed"
    assert created["documents"][0]["errors"][0]["code"] == "no_active_credentials"
    await tupana.mock.settle_webhooks()
    assert json.loads(seen[0][0])["event"] == "batch.intake_failed"
    assert "X-Pana-Signature" not in seen[0][1]  # no secret, no signature


async def test_magic_receivers_reject_and_fail_temporarily(tupana: Tupana, aiohttp_server: Any) -> None:
    url, seen = await _receiver(aiohttp_server)
    await tupana.enrol()
    await tupana.ok(
        "POST", "/webhooks/", 201, json={"master_entity_id": entity_id(ISSUER), "url": url, "events": []}
    )
    created = await (
        await tupana.batch(
            [
                factura(document_receiver={"rut": "66666666-6"}),
                factura(document_receiver={"rut": "77777777-7"}),
                factura(),
            ]
        )
    ).json()
    await tupana.mock.advance(3)
    batch = await tupana.ok("GET", f"/documents/batch/{created['batch_id']}/")
    assert [d["status"] for d in batch["documents"]] == ["permanent_error", "temporary_error", "success"]
    assert batch["status"] == "completed"
    await tupana.mock.settle_webhooks()
    assert sorted(json.loads(b)["event"] for b, _ in seen) == [
        "document.issue_failed",
        "document.issued",
        "document.rejected",
    ]


async def test_folios_are_per_company_and_dte_type(tupana: Tupana) -> None:
    await tupana.enrol()
    await tupana.enrol(RECEIVER)
    created = await (
        await tupana.batch(
            [
                factura(),
                factura(),
                factura(dte_type={"code": "34"}),
                factura(document_issuer={"rut": RECEIVER}, document_receiver={"rut": ISSUER}),
            ]
        )
    ).json()
    await tupana.mock.advance(3)
    batch = await tupana.ok("GET", f"/documents/batch/{created['batch_id']}/")
    assert [d["document"]["folio"] for d in batch["documents"]] == ["1", "2", "1", "1"]


async def test_idempotency_key_replays_the_batch_and_conflicts_on_another_body(tupana: Tupana) -> None:
    await tupana.enrol()
    first = await (await tupana.batch([factura()], key="same-key")).json()
    again = await tupana.batch([factura()], key="same-key")
    assert again.status == 202
    assert (await again.json())["batch_id"] == first["batch_id"]
    assert (
        len(tupana.mock.runtime.providers["tupana"].state.users[tenant_label("sandbox_test_key")].batches)
        == 1
    )
    other = await tupana.batch([factura(), factura()], key="same-key")
    assert other.status == 409
    assert (await other.json())["error"]["type"] == "idempotency_error"


async def test_draft_batches_with_preview_carry_a_pdf(tupana: Tupana) -> None:
    await tupana.enrol()
    created = await (await tupana.batch([factura()], state="draft", preview=True)).json()
    document = created["documents"][0]["document"]
    assert document["is_draft"] is True
    import base64

    assert base64.b64decode(document["pdf_preview"]).startswith(b"%PDF-")


async def test_documents_list_filters_and_pages(tupana: Tupana) -> None:
    await tupana.enrol()
    created = await (
        await tupana.batch(
            [factura(date_issued=f"2026-11-{d:02d}") for d in range(1, 6)]
            + [factura(dte_type={"code": "34"}, date_issued="2026-11-06")]
        )
    ).json()
    await tupana.mock.advance(3)
    ment = entity_id(ISSUER)
    page = await tupana.ok("GET", "/documents/", params={"master_entity_id": ment, "page_size": 4})
    assert (page["meta"]["total"], page["meta"]["total_pages"], len(page["data"])) == (6, 2, 4)
    assert page["links"]["next"] and page["links"]["prev"] is None
    assert page["data"][0]["date_issued"] == "2026-11-06"
    exempt = await tupana.ok(
        "GET", "/documents/", params={"master_entity_id": ment, "dte_type__code__in": "34"}
    )
    assert [d["dte_type_code"] for d in exempt["data"]] == ["34"]
    window = await tupana.ok(
        "GET",
        "/documents/",
        params={"master_entity_id": ment, "issue_date_gte": "2026-11-02", "issue_date_lte": "2026-11-03"},
    )
    assert sorted(d["date_issued"] for d in window["data"]) == ["2026-11-02", "2026-11-03"]
    by_folio = await tupana.ok("GET", "/documents/", params={"master_entity_id": ment, "folio": 3})
    assert [d["folio"] for d in by_folio["data"]] == ["3"]
    assert created["batch_id"]


async def test_a_credential_for_a_looked_up_company_enrols_it(tupana: Tupana) -> None:
    """The SDK's flow: look the company up by RUT, then send its id (and RUT) with the SII password."""
    for tax_id in (ISSUER, "11111111-1"):  # a fixtures company, and one made up from its RUT
        company = await tupana.ok("GET", f"/master-entities/?rut={tax_id}")
        body = {"master_entity_id": company["id"], "rut": tax_id, "password": "clave-sii"}
        credential = await tupana.ok("POST", "/credentials/", 201, json=body)
        assert (credential["master_entity_id"], credential["status"]) == (company["id"], "active")
    alone = await tupana.ok("GET", f"/master-entities/?rut={ISSUER}")
    response = await Tupana(tupana.mock, "another-key").call(
        "POST", "/credentials/", json={"master_entity_id": alone["id"], "password": "clave-sii"}
    )
    assert response.status == 201  # a fixtures company is known by its id alone
    response = await tupana.call(
        "POST", "/credentials/", json={"master_entity_id": "ment_0000000000000000", "password": "x"}
    )
    assert response.status == 404


async def test_a_draft_is_issued_by_patch_and_gets_its_folio_from_the_sii(tupana: Tupana) -> None:
    await tupana.enrol()
    created = await (await tupana.batch([factura()], state="draft")).json()
    await tupana.mock.advance(5)
    draft = created["documents"][0]["document"]["id"]
    before = await tupana.ok("GET", f"/documents/{draft}/")
    assert before["folio"] in (None, "", 0)
    issuing = await tupana.ok("PATCH", f"/documents/{draft}/", json={"state": "issued"})
    assert issuing["status"] == "processing"
    await tupana.mock.advance(5)
    issued = await tupana.ok("GET", f"/documents/{draft}/")
    assert (issued["status"], issued["state"], str(issued["folio"])) == ("success", "accepted", "1")
    again = await tupana.call("PATCH", f"/documents/{draft}/", json={"state": "issued"})
    assert (again.status, (await again.json())["error"]["code"]) == (409, "document_not_draft")
