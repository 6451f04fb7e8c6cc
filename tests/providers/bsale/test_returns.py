"""Returns make credit notes in Bsale's three modes, annulments make the debit notes that undo them,
shippings make guías that take goods out, and every one of them keeps the stock that stocks.json shows
consistent with what receptions and consumptions moved."""

from __future__ import annotations

import io
import json
from typing import Any

from pypdf import PdfReader

from tests.providers.bsale.conftest import CLIENT, Bsale, boleta, notifications


def _return(doc: dict[str, Any], *lines: tuple[int, float, float], **extra: Any) -> dict[str, Any]:
    """A return of `doc`: (line position, quantity, unitValue) for each line given back."""
    items = doc["details"]["items"]
    return {
        "documentTypeId": 5,
        "officeId": 1,
        "referenceDocumentId": doc["id"],
        "motive": "Devolución de prueba",
        "client": CLIENT,
        "details": [
            {"documentDetailId": items[at]["id"], "quantity": q, "unitValue": u} for at, q, u in lines
        ],
        **extra,
    }


async def _stock(bsale: Bsale, variant: int, office: int = 1) -> float:
    found = await bsale.get_json("stocks.json", variantid=variant, officeid=office)
    assert found["count"] == 1
    quantity: float = found["items"][0]["quantity"]
    return quantity


async def test_a_return_by_quantities_makes_a_credit_note_for_what_comes_back(bsale: Bsale) -> None:
    sold = await bsale.factura((1, 3), (6884, 1), dispatch=1)
    before = await _stock(bsale, 1)
    made = await bsale.made("returns.json", _return(sold, (0, 2, 0)))
    assert (made["priceAdjustment"], made["editTexts"], made["motive"]) == (0, 0, "Devolución de prueba")
    assert made["reference_document"]["id"] == str(sold["id"])
    note = await bsale.get_json(f"documents/{made['credit_note']['id']}.json", expand="[details,references]")
    assert note["document_type"]["id"] == "5" and note["number"] >= 1 and note["ted"]
    line = sold["details"]["items"][0]
    assert note["details"]["items"][0]["quantity"] == 2
    assert note["netAmount"] == 2 * line["netUnitValue"] and made["amount"] == note["totalAmount"]
    reference = note["references"]["items"][0]
    assert (reference["number"], reference["dte_code"]["id"]) == (str(sold["number"]), "1")  # 33
    assert await _stock(bsale, 1) == before + 2  # dispatched goods go back to the office
    again = await bsale.get_json(f"returns/{made['id']}.json")
    assert again == made
    details = await bsale.get_json(f"returns/{made['id']}/details.json")
    assert details["items"][0]["quantityDevStock"] == 2


async def test_a_line_can_not_give_back_more_than_it_sold(bsale: Bsale) -> None:
    sold = await bsale.factura((1, 3))
    await bsale.made("returns.json", _return(sold, (0, 2, 0)))
    response = await bsale.post_to("returns.json", _return(sold, (0, 2, 0)))
    assert response.status == 400 and await response.json() == {"error": "invalid quantity"}
    assert (await bsale.get_json("returns.json"))["count"] == 1  # the refused one made nothing
    assert (await bsale.made("returns.json", _return(sold, (0, 1, 0))))["amount"] > 0


async def test_a_price_adjustment_credits_the_amount_taken_off_each_unit(bsale: Bsale) -> None:
    sold = await bsale.factura((1, 2))
    before = await _stock(bsale, 1)
    made = await bsale.made("returns.json", _return(sold, (0, 0, 1000), priceAdjustment=1))
    note = await bsale.get_json(f"documents/{made['credit_note']['id']}.json")
    assert made["priceAdjustment"] == 1
    assert (note["netAmount"], note["taxAmount"], note["totalAmount"]) == (2000, 380, 2380)
    assert await _stock(bsale, 1) == before  # nothing came back
    too_much = _return(sold, (0, 0, 10**7), priceAdjustment=1)
    assert (await (await bsale.post_to("returns.json", too_much)).json()) == {"error": "invalid unitValue"}


async def test_a_text_correction_is_a_credit_note_of_every_line_at_zero(bsale: Bsale) -> None:
    sold = await bsale.factura((1, 1), (6884, 1))
    made = await bsale.made("returns.json", _return(sold, (0, 0, 0), editTexts=1))
    note = await bsale.get_json(f"documents/{made['credit_note']['id']}.json", expand="[details]")
    assert made["editTexts"] == 1 and note["totalAmount"] == 0 and made["amount"] == 0
    assert note["details"]["count"] == 2


async def test_a_return_needs_a_sale_document_its_lines_and_a_client(bsale: Bsale) -> None:
    sold = await bsale.factura((1, 1))
    no_reference = {**_return(sold, (0, 1, 0)), "referenceDocumentId": 999999}
    answer = await (await bsale.post_to("returns.json", no_reference)).json()
    assert answer == {"error": "the json does not have reference document"}
    foreign = {**_return(sold, (0, 1, 0)), "details": [{"documentDetailId": 999999, "quantity": 1}]}
    assert (await (await bsale.post_to("returns.json", foreign)).json()) == {
        "error": "invalid reference detail"
    }
    anonymous = {k: v for k, v in _return(sold, (0, 1, 0)).items() if k != "client"}
    answer = await (await bsale.post_to("returns.json", anonymous)).json()
    assert answer == {"error": "client attribute required : code,activity,address,city,municipality"}
    note = await bsale.create({**boleta(1000), "documentTypeId": 2, "clientId": 24})  # a nota de venta
    not_electronic = {**_return(sold, (0, 1, 0)), "referenceDocumentId": note["id"]}
    answer = await (await bsale.post_to("returns.json", not_electronic)).json()
    assert answer == {"error": "the json does not have reference document"}
    wrong_type = {**_return(sold, (0, 1, 0)), "documentTypeId": 8}
    assert (await (await bsale.post_to("returns.json", wrong_type)).json()) == {
        "error": "invalid documentType"
    }


async def test_a_credit_note_type_is_refused_by_documents_json(bsale: Bsale) -> None:
    response = await bsale.post({**boleta(1000), "codeSii": 61, "clientId": 24})
    assert response.status == 400 and await response.json() == {"error": "invalid documentType"}


async def test_an_annulment_makes_the_debit_note_that_undoes_the_return(bsale: Bsale) -> None:
    sold = await bsale.factura((1, 4), dispatch=1)
    before = await _stock(bsale, 1)
    made = await bsale.made("returns.json", _return(sold, (0, 4, 0)))
    assert await _stock(bsale, 1) == before + 4
    annulment = await bsale.made(f"returns/{made['id']}/annulments.json", {"documentTypeId": 6})
    debit = await bsale.get_json(f"documents/{annulment['debit_note']['id']}.json", expand="[references]")
    credit = await bsale.get_json(f"documents/{made['credit_note']['id']}.json")
    assert debit["document_type"]["id"] == "6" and debit["totalAmount"] == credit["totalAmount"]
    assert annulment["amount"] == debit["totalAmount"]
    assert debit["references"]["items"][0]["number"] == str(credit["number"])
    assert await _stock(bsale, 1) == before  # the goods left again
    read = await bsale.get_json(f"returns/{made['id']}/annulments/{annulment['id']}.json")
    assert read == annulment
    twice = await bsale.post_to(f"returns/{made['id']}/annulments.json", {"documentTypeId": 6})
    assert twice.status == 400
    # once annulled, the lines it gave back can be given back again
    assert (await bsale.made("returns.json", _return(sold, (0, 4, 0))))["amount"] == made["amount"]


async def test_returns_are_listed_and_filtered_by_their_documents(bsale: Bsale) -> None:
    first, second = await bsale.factura((1, 1)), await bsale.factura((6884, 1))
    one = await bsale.made("returns.json", _return(first, (0, 1, 0)))
    await bsale.made("returns.json", _return(second, (0, 1, 0)))
    assert (await bsale.get_json("returns.json"))["count"] == 2
    mine = await bsale.get_json("returns.json", referencedocumentid=first["id"])
    assert [r["id"] for r in mine["items"]] == [one["id"]]
    by_note = await bsale.get_json("returns.json", creditnoteid=one["credit_note"]["id"])
    assert [r["id"] for r in by_note["items"]] == [one["id"]]
    assert (await bsale.get_json("returns/count.json", referencedocumentid=second["id"]))["count"] == 1
    expanded = await bsale.get_json(f"returns/{one['id']}.json", expand="[credit_note,reference_document]")
    assert expanded["credit_note"]["document_type"]["id"] == "5"  # the whole credit note, embedded
    assert expanded["reference_document"]["number"] == first["number"]
    assert (await bsale.get("returns/999.json")).status == 404


async def test_a_shipping_makes_a_guia_that_takes_its_goods_out(bsale: Bsale) -> None:
    before = await _stock(bsale, 1)
    shipping = await bsale.made(
        "shippings.json",
        {
            "documentTypeId": 7,
            "officeId": 1,
            "shippingTypeId": 1,
            "clientId": 24,
            "address": "Camino Lo Boza 120",
            "municipality": "Pudahuel",
            "city": "Santiago",
            "recipient": "Bodega central",
            "details": [{"variantId": 1, "quantity": 5, "taxId": "[1]"}],
        },
    )
    assert (shipping["address"], shipping["recipient"]) == ("Camino Lo Boza 120", "Bodega central")
    assert shipping["shipping_type"]["id"] == "1"
    guide = await bsale.get_json(f"documents/{shipping['guide']['id']}.json")
    assert guide["document_type"]["id"] == "7" and guide["urlXml"] and guide["urlTimbre"]
    assert await _stock(bsale, 1) == before - 5
    details = await bsale.get_json(f"shippings/{shipping['id']}/details.json")
    assert details["items"][0]["quantity"] == 5 and details["items"][0]["variantStock"] == before - 5
    listed = await bsale.get_json("shippings.json", shippingtypeid=1)
    assert [s["id"] for s in listed["items"]] == [shipping["id"]]
    assert (await bsale.get_json(f"shippings/{shipping['id']}.json")) == shipping
    with_guide = await bsale.get_json(f"shippings/{shipping['id']}.json", expand="[guide]")
    assert with_guide["guide"]["urlXml"] == guide["urlXml"]


async def test_a_shipping_is_refused_without_stock_or_a_shipping_type(bsale: Bsale) -> None:
    body = {"shippingTypeId": 1, "clientId": 24, "details": [{"variantId": 1, "quantity": 10**6}]}
    answer = await (await bsale.post_to("shippings.json", body)).json()
    assert answer == {"error": "There is no stock for this products: P001"}
    answer = await (await bsale.post_to("shippings.json", {**body, "shippingTypeId": 99})).json()
    assert answer == {"error": "invalid shipping type"}
    assert (await bsale.get_json("shippings.json"))["count"] == 0


async def test_stock_follows_receptions_consumptions_documents_returns_and_shippings(bsale: Bsale) -> None:
    start = await _stock(bsale, 6884)
    received = await bsale.made(
        "stocks/receptions.json",
        {
            "officeId": 1,
            "document": "Guía",
            "documentNumber": "778",
            "details": [{"variantId": 6884, "quantity": 10, "cost": 900}],
        },
    )
    assert received["document"] == "Guía" and received["office"]["id"] == "1"
    await bsale.made(
        "stocks/consumptions.json",
        {"officeId": 1, "note": "merma", "details": [{"variantId": 6884, "quantity": 3}]},
    )
    sold = await bsale.factura((6884, 4), dispatch=1)
    await bsale.made("returns.json", _return(sold, (0, 1, 0)))
    await bsale.made(
        "shippings.json",
        {"shippingTypeId": 5, "clientId": 24, "details": [{"variantId": 6884, "quantity": 2}]},
    )
    assert await _stock(bsale, 6884) == start + 10 - 3 - 4 + 1 - 2
    too_much = {"officeId": 1, "details": [{"variantId": 6884, "quantity": 10**6}]}
    response = await bsale.post_to("stocks/consumptions.json", too_much)
    assert response.status == 400 and await _stock(bsale, 6884) == start + 2
    costs = await bsale.get_json("variants/6884/costs.json")
    assert costs["history"][0]["cost"] == 900 and costs["history"][0]["quantity"] == 10
    assert (await bsale.get_json(f"stocks/receptions/{received['id']}/details.json"))["count"] == 1
    assert (await bsale.get_json("stocks/consumptions.json"))["count"] == 1


async def test_stocks_are_filtered_by_variant_office_code_and_barcode(bsale: Bsale) -> None:
    everything = await bsale.get_json("stocks.json", limit=50)
    variants = await bsale.get_json("variants.json", limit=50)
    offices = await bsale.get_json("offices.json")
    assert everything["count"] == variants["count"] * offices["count"]
    variant = variants["items"][0]
    by_code = await bsale.get_json("stocks.json", code=variant["code"])
    by_barcode = await bsale.get_json("stocks.json", barcode=variant["barCode"])
    by_id = await bsale.get_json("stocks.json", variantid=f"[{variant['id']}]")
    assert by_code == {**by_id, "href": by_code["href"]} and by_barcode["count"] == offices["count"]
    assert all(s["variant"]["id"] == str(variant["id"]) for s in by_code["items"])
    one = by_code["items"][0]
    assert await bsale.get_json(f"stocks/{one['id']}.json") == one
    assert (await bsale.get_json("stocks.json", officeid=2))["count"] == variants["count"]
    assert (await bsale.get("stocks/999999.json")).status == 404


async def test_notifications_name_returns_shippings_and_stock_as_bsale_writes_them(
    bsale: Bsale, aiohttp_server: Any
) -> None:
    received = await notifications(bsale, aiohttp_server)
    sold = await bsale.factura((1, 1), dispatch=1)
    made = await bsale.made("returns.json", _return(sold, (0, 1, 0)))
    shipping = await bsale.made(
        "shippings.json", {"shippingTypeId": 5, "clientId": 24, "details": [{"variantId": 1, "quantity": 1}]}
    )
    await bsale.mock.settle_webhooks()
    events = {(p["topic"], p["action"], p["resource"]) for p in (json.loads(body) for body, _ in received)}
    assert ("return", "post", f"/v1/returns/{made['id']}.json") in events
    assert ("shipping", "post", f"/v1/shippings/{shipping['id']}.json") in events
    assert ("stock", "put", "/v2/stocks.json?variant=1&office=1") in events


async def test_the_catalogues_integrations_read_next_are_served(bsale: Bsale) -> None:
    for path in ("discounts.json", "sale_conditions.json", "shipping_types.json"):
        listed = await bsale.get_json(path)
        assert listed["count"] >= 3, path
        first = listed["items"][0]
        assert await bsale.get_json(first["href"].split("/v1/", 1)[1]) == first
    assert (await bsale.get_json("shipping_types.json", name="Traslados internos"))["count"] == 1
    assert await bsale.get_json("coins/1/exchange_rate/1407715200.json") == {"exchangeRate": 1.0}
    dollar = await bsale.get_json("coins/2/exchange_rate/1407715200.json")
    assert 900 < dollar["exchangeRate"] < 1000
    assert dollar == await bsale.get_json(
        "coins/2/exchange_rate/1407715200.json"
    )  # the same day, the same rate


async def test_the_timbre_is_a_pdf417_of_the_ted_in_url_timbre_and_on_the_pdf(bsale: Bsale) -> None:
    from pdf417decoder import PDF417Decoder  # type: ignore[import-untyped]
    from PIL import Image

    doc = await bsale.create(
        {**boleta(23438), "codeSii": 33, "clientId": 24, "observation": "Entregar en portería"}
    )
    response = await bsale.mock.client.get("/" + doc["urlTimbre"].split("/", 3)[3])
    assert response.status == 200 and response.content_type == "image/png"
    decoder = PDF417Decoder(Image.open(io.BytesIO(await response.read())))
    assert decoder.decode() == 1
    assert decoder.barcode_data_index_to_string(0) == doc["ted"]  # the SII's reader gets the TED back
    pdf = await (await bsale.mock.client.get("/" + doc["urlPdf"].split("/", 3)[3])).read()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Timbre Electrónico SII" in text and "Entregar en portería" in text
    drawn = b"".join(p.get_contents().get_data() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert drawn.count(b" re f") > 500  # the barcode's module runs, drawn in the timbre's box
    note = await bsale.create({**boleta(1000), "documentTypeId": 2})  # a nota de venta has no timbre
    assert note["urlTimbre"] is None


async def test_credit_notes_debit_notes_and_guias_have_pdfs_that_open(bsale: Bsale) -> None:
    sold = await bsale.factura((1, 1))
    made = await bsale.made("returns.json", _return(sold, (0, 1, 0)))
    annulment = await bsale.made(f"returns/{made['id']}/annulments.json", {})
    shipping = await bsale.made(
        "shippings.json", {"shippingTypeId": 1, "clientId": 24, "details": [{"variantId": 1, "quantity": 1}]}
    )
    for document_id, name in (
        (made["credit_note"]["id"], "NOTA DE CRÉDITO"),
        (annulment["debit_note"]["id"], "NOTA DE DÉBITO"),
        (shipping["guide"]["id"], "GUÍA DE DESPACHO"),
    ):
        doc = await bsale.get_json(f"documents/{document_id}.json")
        pdf = await (await bsale.mock.client.get("/" + doc["urlPdf"].split("/", 3)[3])).read()
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert name in text and "Timbre Electrónico SII" in text, name
        if name != "GUÍA DE DESPACHO":
            assert "Referencia:" in text  # the document it corrects
