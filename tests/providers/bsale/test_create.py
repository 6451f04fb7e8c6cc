"""POST /v1/documents.json: every variant of the seed, the fact sheet's amounts, Bsale's own errors."""

from __future__ import annotations

import base64
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from mockserver.core.services.masking import tenant_label
from tests.providers.bsale.conftest import Bsale, boleta, seed_example


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def test_the_seed_example_is_created_with_its_exact_amounts(bsale: Bsale) -> None:
    doc = await bsale.create(seed_example())
    assert (doc["netAmount"], doc["taxAmount"], doc["totalAmount"]) == (23438, 4453, 27891)
    assert doc["number"] == 1
    assert doc["document_type"]["id"] == "8"
    assert (doc["address"], doc["municipality"], doc["city"]) == ("direccion", "comuna", "Puerto Varas")
    assert doc["href"].endswith(f"/bsale/v1/documents/{doc['id']}.json")
    references = await bsale.get_json(f"documents/{doc['id']}/references.json")
    assert references["items"][0]["number"] == "123"
    assert references["items"][0]["dte_code"]["id"] == "20"
    attributes = await bsale.get_json(f"documents/{doc['id']}/attributes.json")
    assert [(a["id"], a["value"]) for a in attributes["items"]] == [
        (17, "098 codigo servicio"),
        (18, "Observacion nomal, sin anotaciones"),
    ]


@pytest.mark.parametrize(
    ("net", "tax", "total"),
    [
        (10916, 2074, 12990),
        (23438, 4453, 27891),
        (12000, 2280, 14280),
        (4300000, 817000, 5117000),
        (2791, 530, 3321),
        (15132, 2875, 18007),
    ],
)
async def test_the_fact_sheet_examples_hold(bsale: Bsale, net: int, tax: int, total: int) -> None:
    doc = await bsale.create(boleta(net))
    assert (doc["netAmount"], doc["taxAmount"], doc["totalAmount"], doc["exemptAmount"]) == (
        net,
        tax,
        total,
        0,
    )


async def test_document_type_by_code_sii_or_id_and_invalid_ones(bsale: Bsale) -> None:
    assert (await bsale.create(boleta(1000)))["document_type"]["id"] == "1"
    by_id = {k: v for k, v in boleta(1000).items() if k != "codeSii"} | {"documentTypeId": 1}
    assert (await bsale.create(by_id))["document_type"]["id"] == "1"
    for body in ({"documentTypeId": 999, "details": []}, {"codeSii": 99, "details": []}):
        response = await bsale.post(body)
        assert (response.status, await response.json()) == (400, {"error": "invalid documentType"})


async def test_client_by_id_and_address_id(bsale: Bsale) -> None:
    body = {
        "documentTypeId": 8,
        "clientId": 24,
        "addressId": 8,
        "details": [{"comment": "Servicio", "netUnitValue": 1000, "quantity": 1, "taxId": "[1]"}],
    }
    doc = await bsale.create(body)
    assert doc["client"]["id"] == "24"
    assert (doc["address"], doc["municipality"]) == ("Camino a Penco 2300", "Penco")


async def test_a_factura_needs_a_complete_client(bsale: Bsale) -> None:
    detail = [{"comment": "x", "netUnitValue": 1000, "quantity": 1, "taxId": "[1]"}]
    for body in (
        {"documentTypeId": 8, "details": detail},
        {"documentTypeId": 8, "details": detail, "client": {"code": "1-9", "company": "Sin giro"}},
    ):
        response = await bsale.post(body)
        assert response.status == 400
        assert await response.json() == {
            "error": "client attribute required : code,activity,address,city,municipality"
        }


async def test_an_inline_client_is_reused_by_its_code_and_ruts_are_kept_as_given(bsale: Bsale) -> None:
    first = await bsale.create(seed_example())
    second = await bsale.create(seed_example())
    assert first["client"]["id"] == second["client"]["id"]
    client = await bsale.get_json(f"clients/{first['client']['id']}.json")
    assert client["code"] == "12345678-9"  # an invalid check digit, as in Bsale's own docs


async def test_details_by_code_bar_code_and_price_list_price(bsale: Bsale) -> None:
    doc = await bsale.create(
        {
            "codeSii": 39,
            "details": [
                {"code": 157, "quantity": 1, "taxId": "[1]"},
                {"barCode": "7800000068846", "quantity": 2, "taxId": "[1]"},
            ],
        }
    )
    details = (await bsale.get_json(f"documents/{doc['id']}/details.json"))["items"]
    assert [(d["variant"]["id"], d["netUnitValue"], d["quantity"]) for d in details] == [
        (157, 53975.0, 1.0),
        (6884, 10916.0, 2.0),
    ]
    assert doc["netAmount"] == 53975 + 2 * 10916


async def test_details_copied_from_another_document_by_detail_id(bsale: Bsale) -> None:
    source = await bsale.create(
        {"codeSii": 39, "details": [{"variantId": 1, "netUnitValue": 5000, "quantity": 3, "taxId": "[1]"}]}
    )
    detail_id = (await bsale.get_json(f"documents/{source['id']}/details.json"))["items"][0]["id"]
    copy = await bsale.create({"codeSii": 39, "details": [{"detailId": detail_id, "quantity": 1}]})
    copied = (await bsale.get_json(f"documents/{copy['id']}/details.json"))["items"][0]
    assert (copied["netUnitValue"], copied["relatedDetailId"], copy["netAmount"]) == (5000.0, detail_id, 5000)


async def test_taxes_by_code_apply_and_update_the_configured_percentage(bsale: Bsale) -> None:
    body = {
        "codeSii": 39,
        "details": [
            {
                "netUnitValue": 53975,
                "quantity": 1,
                "comment": "diésel",
                "discount": 5,
                "taxes": [{"code": 14, "percentage": 19}, {"code": 35, "percentage": 50}],
            }
        ],
    }
    doc = await bsale.create(body)
    net = Decimal(53975) * Decimal("0.95")
    expected = (half_up(net), half_up(net * Decimal("0.19")) + half_up(net * Decimal("0.50")))
    assert (doc["netAmount"], doc["taxAmount"]) == expected
    assert doc["totalAmount"] == sum(expected)
    assert (await bsale.get_json("taxes/4.json"))["percentage"] == "50.0"
    taxes = await bsale.get_json(f"documents/{doc['id']}/document_taxes.json")
    assert {t["tax"]["id"]: t["totalAmount"] for t in taxes["items"]} == {
        "1": half_up(net * Decimal("0.19")),
        "4": half_up(net * Decimal("0.50")),
    }


async def test_a_detail_without_taxes_is_exempt(bsale: Bsale) -> None:
    doc = await bsale.create(
        {
            "codeSii": 39,
            "details": [
                {"comment": "libro", "netUnitValue": 8000, "quantity": 1},
                {"comment": "x", "netUnitValue": 1000, "quantity": 1, "taxId": "[1]"},
            ],
        }
    )
    assert (doc["exemptAmount"], doc["netAmount"], doc["taxAmount"], doc["totalAmount"]) == (
        8000,
        1000,
        190,
        9190,
    )


async def test_an_exempt_document_type_ignores_taxes(bsale: Bsale) -> None:
    doc = await bsale.create(boleta(5000, codeSii=41))
    assert (doc["exemptAmount"], doc["taxAmount"], doc["totalAmount"]) == (5000, 0, 5000)


@pytest.mark.parametrize(
    ("detail", "message"),
    [
        (
            {"comment": "x", "netUnitValue": -1, "quantity": 1},
            "Invalid net unit value, zero or negative values are not allowed for this type of document",
        ),
        (
            {"comment": "x", "netUnitValue": 0, "quantity": 1},
            "Invalid net unit value, zero or negative values are not allowed for this type of document",
        ),
        ({"comment": "x", "netUnitValue": 10, "quantity": 0}, "invalid quantity"),
        ({"variantId": 424242, "quantity": 1}, "invalid variant"),
        ({"comment": "x", "netUnitValue": 10, "quantity": 1, "taxId": "[1"}, "Invalid JSON object"),
    ],
)
async def test_bad_details_get_bsales_exact_error(bsale: Bsale, detail: dict[str, Any], message: str) -> None:
    response = await bsale.post({"codeSii": 39, "details": [detail]})
    assert (response.status, await response.json()) == (400, {"error": message})


async def test_price_list_errors(bsale: Bsale) -> None:
    response = await bsale.post(boleta(100, priceListId=777))
    assert await response.json() == {"error": "price list not found"}


async def test_a_body_that_is_not_json_is_invalid_json_object(bsale: Bsale) -> None:
    response = await bsale.mock.client.post(
        "/bsale/v1/documents.json",
        data=b"{nope",
        headers={**bsale.headers, "Content-Type": "application/json"},
    )
    assert (response.status, await response.json()) == (400, {"error": "Invalid JSON object"})


async def test_default_payment_is_the_whole_total_on_the_default_type(bsale: Bsale) -> None:
    doc = await bsale.create(boleta(10916))
    full = await bsale.get_json(f"documents/{doc['id']}.json", expand="[payments]")
    assert [(p["payment_type"]["id"], p["amount"]) for p in full["payments"]] == [("1", 12990)]


async def test_seller_and_send_email_are_recorded(bsale: Bsale) -> None:
    doc = await bsale.create({**seed_example(), "sellerId": 5, "sendEmail": 1})
    sellers = await bsale.get_json(f"documents/{doc['id']}/sellers.json")
    assert [(s["id"], s["firstName"]) for s in sellers["items"]] == [(5, "Ana")]
    response = await bsale.mock.client.post(
        "/__admin/actions/bsale/emails", json={"tenant": bsale.headers["access_token"]}
    )
    assert [e["documentId"] for e in (await response.json())["emails"]] == [doc["id"]]


async def test_dispatch_takes_stock_and_refuses_what_is_not_there(bsale: Bsale) -> None:
    before = await bsale.get_json("variants/157.json")
    doc = await bsale.create(
        {
            "codeSii": 39,
            "officeId": 1,
            "dispatch": 1,
            "details": [{"variantId": 157, "quantity": 2, "taxId": "[1]"}],
        }
    )
    state = bsale.mock.runtime.providers["bsale"].state.instance(tenant_label(bsale.headers["access_token"]))
    assert state.catalogue.variants[157]["stock"]["1"] == 10
    assert before["id"] == 157
    response = await bsale.post(
        {
            "codeSii": 39,
            "officeId": 1,
            "dispatch": 1,
            "details": [{"variantId": 11272, "quantity": 2, "taxId": "[1]"}],
        }
    )
    assert await response.json() == {"error": "There is no stock for this products: CE3703"}
    costs = await bsale.get_json("documents/costs.json", documentid=doc["id"])
    assert costs["totalCost"] == 2 * 31000
    assert costs["cost_detail"][0]["variant"]["code"] == "157"


async def test_liquidacion_factura_computes_the_commission(bsale: Bsale) -> None:
    doc = await bsale.create(
        {
            "codeSii": 43,
            "client": seed_example()["client"],
            "commissionRate": 20,
            "commissionCodeSii": 33,
            "details": [{"comment": "x", "netUnitValue": 100000, "quantity": 1, "taxId": "[1]"}],
        }
    )
    assert (
        doc["commissionRate"],
        doc["commissionNetAmount"],
        doc["commissionTaxAmount"],
        doc["commissionTotalAmount"],
    ) == (20.0, 20000, 3800, 23800)


async def test_factura_de_compra_withholds_the_given_percentage(bsale: Bsale) -> None:
    doc = await bsale.create(
        {
            "codeSii": 46,
            "client": seed_example()["client"],
            "percentageTaxWithheld": 35,
            "details": [{"comment": "x", "netUnitValue": 100000, "quantity": 1, "taxId": "[1]"}],
        }
    )
    assert (doc["taxAmount"], doc["purchaseTaxAmount"], doc["purchaseTotalAmount"]) == (19000, 6650, 112350)


async def test_the_seed_export_example(bsale: Bsale) -> None:
    body = {
        "documentTypeId": 16,
        "officeId": 1,
        "coinId": 2,
        "hasCustomsData": 1,
        "exchangeRate": 800,
        "exportNetAmount": 32.60,
        "exportTaxAmount": 0,
        "exportTotalAmount": 32.60,
        "exportExemptAmount": 32.60,
        "emissionDate": 1604431469,
        "expirationDate": 1604431469,
        "observation": "Aditional text..",
        "clientId": 65,
        "details": [
            {
                "netUnitValue": 7.5,
                "quantity": 1,
                "discount": 0,
                "exportNetAmount": 7.5,
                "exportTaxAmount": 0,
                "exportTotalAmount": 7.5,
                "comment": "fish fillet- trout (Oncorhynchus mykiss) code:877363655355CL",
            },
            {
                "netUnitValue": 25.1,
                "quantity": 1,
                "comment": "Despacho",
                "discount": 0,
                "exportNetAmount": 25.1,
                "exportTaxAmount": 0,
                "exportTotalAmount": 25.1,
            },
        ],
        "payments": [{"paymentTypeId": 8, "amount": 32.56, "recordDate": 1604431469}],
        "customsData": {
            "clauseCode": "CIF",
            "clauseAmount": 175175.78,
            "saleModeId": 3,
            "countryCode": "225",
            "transportPathId": 4,
            "totalPackages": 480,
        },
    }
    doc = await bsale.create(body)
    assert (doc["exportTotalAmount"], doc["exportExemptAmount"], doc["exportTaxAmount"]) == (32.6, 32.6, 0.0)
    assert (doc["exemptAmount"], doc["totalAmount"]) == (26080, 26080)
    assert doc["coin"]["id"] == "2"
    # stored packed, its export amounts (kept by name, being rare) and customs data read back the same
    assert await bsale.get_json(f"documents/{doc['id']}.json") == doc


async def test_folios_follow_the_caf_and_an_exhausted_caf_is_refused_without_losing_anything(
    bsale: Bsale,
) -> None:
    numbers = [(await bsale.create(boleta(100)))["number"] for _ in range(3)]
    assert numbers == [1, 2, 3]
    clients_before = (await bsale.get_json("clients/count.json"))["count"]
    response = await bsale.post({**seed_example(), "documentTypeId": 14})
    assert (response.status, await response.json()) == (
        400,
        {"error": "does not have numbers available, check sii caf"},
    )
    assert (await bsale.get_json("clients/count.json"))["count"] == clients_before
    assert (await bsale.create(boleta(100)))["number"] == 4
    caf = await bsale.get_json("document_types/caf.json", codesii="39")  # one object, as Bsale answers
    assert (caf["lastNumberUsed"], caf["numbersAvailable"]) == (4, 49996)
    assert await bsale.get_json("document_types/caf.json", documenttypeid=1) == caf
    available = await bsale.get_json("document_types/number_availables.json", codesii="39")
    assert available == {"numbers_available": 49996, "last": caf["endNumber"]}


async def test_sales_id_replays_the_first_document_with_200(bsale: Bsale) -> None:
    first = await bsale.create(boleta(1000, salesId="AAA000012"))
    response = await bsale.post(boleta(2000, salesId="AAA000012"))
    assert response.status == 200
    again = await response.json()
    assert (again["id"], again["totalAmount"]) == (first["id"], first["totalAmount"])
    assert (await bsale.create(boleta(1000, salesId="AAA000012", codeSii=41)))["id"] != first["id"]


async def test_electronic_documents_carry_a_signed_ted_and_serve_xml_pdf_and_view(bsale: Bsale) -> None:
    doc = await bsale.create(seed_example())
    assert len(doc["token"]) == 12
    ted = etree.fromstring(doc["ted"])
    assert (ted.findtext("DD/TD"), ted.findtext("DD/F"), ted.findtext("DD/MNT")) == ("33", "1", "27891")
    # FRMT verifies with the key the CAF grants (RSA-512, as the SII's), which the CAF carries
    modulus = base64.b64decode(ted.findtext("DD/CAF/DA/RSAPK/M") or "")
    exponent = base64.b64decode(ted.findtext("DD/CAF/DA/RSAPK/E") or "")
    key = rsa.RSAPublicNumbers(int.from_bytes(exponent, "big"), int.from_bytes(modulus, "big")).public_key()
    assert key.key_size == 512
    signature = base64.b64decode(ted.findtext("FRMT") or "")
    key.verify(signature, etree.tostring(ted.find("DD"), method="c14n"), padding.PKCS1v15(), hashes.SHA1())
    for url, kind in ((doc["urlXml"], "xml"), (doc["urlPdf"], "pdf"), (doc["urlPublicView"], "html")):
        response = await bsale.mock.client.get("/" + url.split("/", 3)[3])
        assert response.status == 200, url
        body = await response.read()
        if kind == "xml":
            assert etree.fromstring(body).find(".//{*}Folio").text == "1"  # type: ignore[union-attr]
        elif kind == "pdf":
            assert body.startswith(b"%PDF-")
        else:
            assert b"FACTURA ELECTR" in body


async def test_informed_sii_goes_from_sent_to_accepted_or_rejected_on_the_clock(bsale: Bsale) -> None:
    ok = await bsale.create(seed_example())
    rejected = await bsale.create(
        {**seed_example(), "client": {**seed_example()["client"], "code": "66666666-6"}}
    )
    assert ok["informedSii"] == rejected["informedSii"] == 1
    await bsale.mock.advance(2)
    ok = await bsale.get_json(f"documents/{ok['id']}.json")
    rejected = await bsale.get_json(f"documents/{rejected['id']}.json")
    assert (ok["informedSii"], ok["responseMsgSii"]) == (0, "Proceso Finalizado Correctamente!")
    assert rejected["informedSii"] == 2
    assert rejected["responseMsgSii"]


async def test_non_electronic_documents_have_no_ted_nor_xml(bsale: Bsale) -> None:
    doc = await bsale.create(
        {"documentTypeId": 2, "details": [{"comment": "x", "netUnitValue": 0, "quantity": 1}]}
    )
    assert (doc["ted"], doc["urlXml"], doc["informedSii"]) == (None, None, 0)


async def test_a_stored_document_reads_back_as_created_and_keeps_its_later_changes(bsale: Bsale) -> None:
    """Documents are stored packed: every part of one survives the round trip, and so does a change
    made after creation (the SII's answer)."""
    rich = await bsale.create({**seed_example(), "salesId": "S-1", "observation": "packed"})
    assert await bsale.get_json(f"documents/{rich['id']}.json") == rich
    expand = "[details,references,document_taxes,sellers,attributes,payments]"
    read = await bsale.get_json(f"documents/{rich['id']}.json", expand=expand)
    assert [(d["note"], d["netAmount"]) for d in read["details"]["items"]] == [("Producto 1", 23438)]
    assert [(r["number"], r["reason"]) for r in read["references"]["items"]] == [
        ("123", "Orden de Compra 123")
    ]
    assert [a["value"] for a in read["attributes"]["items"]] == [
        "098 codigo servicio",
        "Observacion nomal, sin anotaciones",
    ]
    assert [p["amount"] for p in read["payments"]] == [27891]
    assert read["informedSii"] == 1
    await bsale.mock.advance(2)
    declared = await bsale.get_json(f"documents/{rich['id']}.json", expand=expand)
    assert declared == {**read, "informedSii": 0, "responseMsgSii": "Proceso Finalizado Correctamente!"}


async def test_with_the_immediate_lifecycle_the_post_answer_shows_the_sii_accepted_it(make_mock: Any) -> None:
    """The seed's answer: informedSii 0 and "Proceso Finalizado Correctamente!"."""
    mock = await make_mock(providers=("bsale",), lifecycle="immediate")
    made = await Bsale(mock).create(boleta(1000))
    assert (made["informedSii"], made["responseMsgSii"]) == (0, "Proceso Finalizado Correctamente!")


async def test_a_peso_documents_lines_are_whole_pesos_that_add_up_to_its_totals(bsale: Bsale) -> None:
    made = await bsale.create({**boleta(23438), "codeSii": 33, "clientId": 24})
    details = (await bsale.get_json(f"documents/{made['id']}/details.json"))["items"]
    assert all(float(d[k]).is_integer() for d in details for k in ("netAmount", "taxAmount", "totalAmount"))
    assert sum(d["netAmount"] for d in details) == made["netAmount"]
    assert sum(d["taxAmount"] for d in details) == made["taxAmount"]


async def test_the_pdf_writes_amounts_as_chile_does(bsale: Bsale) -> None:
    import io

    from pypdf import PdfReader

    made = await bsale.create({**boleta(23438), "codeSii": 33, "clientId": 24})
    base = str(bsale.mock.client.make_url("")).rstrip("/")
    pdf = await (await bsale.mock.client.get(made["urlPdf"].replace(base, ""))).read()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "23.438" in text and "23,438" not in text


async def test_a_client_is_created_found_by_email_and_updated(bsale: Bsale) -> None:
    body = {"firstName": "Ana", "lastName": "Pérez", "code": "76123456-0", "email": "ana@example.cl"}
    response = await bsale.mock.client.post("/bsale/v1/clients.json", json=body, headers=bsale.headers)
    assert response.status == 201, await response.text()
    made = await response.json()
    found = await bsale.get_json("clients.json", email="ana@example.cl")
    assert [c["id"] for c in found["items"]] == [made["id"]]
    again = await bsale.mock.client.post("/bsale/v1/clients.json", json=body, headers=bsale.headers)
    assert (again.status, await again.json()) == (400, {"error": "client code already exists"})
    nobody = await bsale.mock.client.post(
        "/bsale/v1/clients.json", json={"email": "x@y.cl"}, headers=bsale.headers
    )
    assert (await nobody.json()) == {"error": "firstName or company is required"}
    changed = await bsale.mock.client.put(
        f"/bsale/v1/clients/{made['id']}.json", json={"phone": "+56 9 1234 5678"}, headers=bsale.headers
    )
    assert changed.status == 200 and (await changed.json())["phone"] == "+56 9 1234 5678"
    foreigner = await bsale.mock.client.post(
        "/bsale/v1/clients.json", json={"company": "Acme Inc.", "isForeigner": 1}, headers=bsale.headers
    )
    assert (await foreigner.json())["code"] == "55555555-5"
