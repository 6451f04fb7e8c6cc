"""GET documents: pagination edges, every filter, fields and expand, sub-resources, summaries, and hrefs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.providers.bsale.conftest import Bsale, boleta, seed_example

DAY = 86400
BASE_DAY = 1700006400  # 2023-11-15 00:00 UTC


async def _boletas(bsale: Bsale, n: int) -> list[dict[str, Any]]:
    return [await bsale.create(boleta(1000 + i, emissionDate=BASE_DAY + (i % 3) * DAY)) for i in range(n)]


async def test_pagination_defaults_to_25_caps_at_50_and_links_the_next_page(bsale: Bsale) -> None:
    await _boletas(bsale, 55)
    first = await bsale.get_json("documents.json")
    assert (first["count"], first["limit"], first["offset"], len(first["items"])) == (55, 25, 0, 25)
    assert first["next"].endswith("/bsale/v1/documents.json?limit=25&offset=25")
    capped = await bsale.get_json("documents.json", limit=100)
    assert (capped["limit"], len(capped["items"])) == (50, 50)
    last = await bsale.get_json("documents.json", limit=50, offset=50)
    assert len(last["items"]) == 5
    assert "next" not in last
    beyond = await bsale.get_json("documents.json", offset=500)
    assert (beyond["count"], beyond["items"]) == (55, [])


async def test_next_link_keeps_the_filters(bsale: Bsale) -> None:
    await _boletas(bsale, 6)
    page = await bsale.get_json("documents.json", limit=2, codesii="[39]")
    assert "codesii=[39]" in page["next"] and "offset=2" in page["next"]


async def test_every_filter_of_the_seed(bsale: Bsale) -> None:
    boletas = await _boletas(bsale, 6)
    factura = await bsale.create(
        {**seed_example(), "emissionDate": BASE_DAY, "expirationDate": BASE_DAY + 30 * DAY}
    )
    await bsale.create(
        {
            **{k: v for k, v in seed_example().items() if k != "client"},
            "clientId": 24,
            "saleConditionId": 2,
            "references": [{"number": "456", "referenceDate": BASE_DAY, "reason": "Guía", "codeSii": 52}],
        }
    )
    detail_id = (await bsale.get_json(f"documents/{factura['id']}/details.json"))["items"][0]["id"]

    async def ids(**params: Any) -> list[int]:
        return [d["id"] for d in (await bsale.get_json("documents.json", limit=50, **params))["items"]]

    assert await ids(number=3) == [boletas[2]["id"]]
    assert await ids(token=boletas[4]["token"]) == [boletas[4]["id"]]
    assert await ids(documenttypeid=8) == [factura["id"], factura["id"] + 1]
    assert await ids(codesii="[33]") == await ids(codesii="33") == [factura["id"], factura["id"] + 1]
    assert len(await ids(codesii="[33,39]")) == 8
    assert await ids(clientid=24) == [factura["id"] + 1]
    assert await ids(clientcode="12345678-9") == [factura["id"]]
    assert len(await ids(officeid=1)) == 8 and await ids(officeid=2) == []
    assert await ids(saleconditionid=2) == [factura["id"] + 1]
    assert await ids(totalamount=boletas[1]["totalAmount"]) == [boletas[1]["id"]]
    assert await ids(emissiondate=BASE_DAY + DAY) == [boletas[1]["id"], boletas[4]["id"]]
    assert await ids(expirationdate=BASE_DAY + 30 * DAY) == [factura["id"]]
    assert len(await ids(emissiondaterange=f"[{BASE_DAY},{BASE_DAY + DAY}]")) == 5
    assert await ids(rcofdate=BASE_DAY + 2 * DAY) == [boletas[2]["id"], boletas[5]["id"]]
    assert await ids(referencecode=801) == [factura["id"]]  # the second one refers to a guía (52) instead
    assert await ids(referencecode=52, referencenumber="456") == [factura["id"] + 1]
    assert await ids(referencenumber=123) == [factura["id"]]
    assert await ids(detailid=detail_id) == [factura["id"]]
    assert len(await ids(informedsii=1)) == 8
    await bsale.mock.advance(2)
    assert len(await ids(informedsii=0)) == 8
    assert len(await ids(state=0)) == 8 and await ids(state=1) == []
    now = int(bsale.mock.runtime.clock.now())
    assert len(await ids(generationdaterange=f"[{now - 10},{now}]")) == 8
    assert await ids(generationdaterange=f"[{now + 10},{now + 20}]") == []
    assert await ids(number=3, documenttypeid=8) == []


async def test_a_narrow_filter_against_a_broad_one_finds_exactly_its_documents(bsale: Bsale) -> None:
    """One folio among many boletas (the broad filter is searched, not turned into a set), and the
    same folio of another document type, which the broad filter excludes."""
    boletas = await _boletas(bsale, 40)
    factura = await bsale.create(seed_example())  # folio 1 of its own type

    async def ids(**params: Any) -> list[int]:
        return [d["id"] for d in (await bsale.get_json("documents.json", **params))["items"]]

    assert await ids(number=7, codesii=39) == [boletas[6]["id"]]
    assert await ids(number=1, codesii=39) == [boletas[0]["id"]]
    assert await ids(number=1, documenttypeid=8) == [factura["id"]]
    assert await ids(number=41, codesii=39) == []
    assert await ids(number="[1,2]", codesii=39, emissiondate=BASE_DAY + DAY) == [boletas[1]["id"]]


async def test_a_malformed_filter_is_a_400(bsale: Bsale) -> None:
    response = await bsale.get("documents.json", emissiondaterange="[1,2,3]")
    assert (response.status, await response.json()) == (400, {"error": "invalid emissiondaterange"})
    response = await bsale.get("documents.json", limit="lots")
    assert response.status == 400


async def test_fields_keeps_only_those_attributes_case_insensitively(bsale: Bsale) -> None:
    await bsale.create(boleta(1000))
    item = (await bsale.get_json("documents.json", fields="[number,totalamount]"))["items"][0]
    assert set(item) == {"href", "number", "totalAmount"}
    doc_type = (await bsale.get_json("document_types.json", fields="[codesii]"))["items"][0]
    assert set(doc_type) == {"href", "codeSii"}


async def test_expand_embeds_to_one_objects_and_to_many_lists(bsale: Bsale) -> None:
    doc = await bsale.create(
        {**seed_example(), "details": [{"variantId": 157, "quantity": 1, "taxId": "[1]"}]}
    )
    plain = await bsale.get_json(f"documents/{doc['id']}.json")
    assert set(plain["details"]) == {"href"}
    assert set(plain["office"]) == {"href", "id"}
    full = await bsale.get_json(
        f"documents/{doc['id']}.json",
        expand="[document_type,office,client,details,variant,product,book_type]",
    )
    assert full["office"]["name"] == "Casa Matriz"
    assert full["document_type"]["book_type"]["name"] == "Libro de Ventas"
    assert full["details"]["count"] == 1
    variant = full["details"]["items"][0]["variant"]
    assert (variant["code"], variant["product"]["name"]) == ("157", "Reloj Casio LA-670WA")
    comma_form = await bsale.get_json(f"documents/{doc['id']}.json", expand="details,payments")
    assert comma_form["details"]["items"] and comma_form["payments"]
    plural = await bsale.get_json("documents.json", expand="[document_types,unknown]")
    assert plural["items"][0]["document_type"]["name"] == "FACTURA ELECTRÓNICA"


async def test_unknown_document_is_404(bsale: Bsale) -> None:
    response = await bsale.get("documents/999.json")
    assert (response.status, await response.json()) == (404, {"error": "document not found"})


@pytest.mark.parametrize("part", ["details", "references", "document_taxes", "sellers", "attributes"])
async def test_each_sub_resource_lists_and_gets_one_item(bsale: Bsale, part: str) -> None:
    doc = await bsale.create(seed_example())
    listing = await bsale.get_json(f"documents/{doc['id']}/{part}.json")
    assert listing["count"] >= 1
    one = listing["items"][0]
    item_path = one["href"].split("/bsale/v1/", 1)[1]
    if part in ("sellers", "attributes"):
        item_path = f"documents/{doc['id']}/{part}/{one['id']}.json"
    assert (await bsale.get_json(item_path))["id"] == one["id"]
    missing = await bsale.get(f"documents/{doc['id']}/{part}/999999.json")
    assert missing.status == 404


async def test_count_summary_and_ticket_summary(bsale: Bsale) -> None:
    for net in (2791, 15132):
        await bsale.create(boleta(net, emissionDate=1405296000, officeId=2))
    await bsale.create(seed_example())
    assert (await bsale.get_json("documents/count.json", state=0)) == {"count": 3}
    grouped = await bsale.get_json("documents/summary.json", codesii="[39]")
    assert len(grouped) == 1
    row = grouped[0]
    assert (row["codeSii"], row["count"], row["officeName"], row["month"], row["year"]) == (
        "39",
        2,
        "Los Angeles",
        7,
        2014,
    )
    assert (row["totalNetAmount"], row["totalTaxAmount"], row["totalAmount"]) == (17923, 3405, 21328)
    per_document = await bsale.get_json("documents/summary.json", codesii="[39]", perdocument=1)
    assert [(r["totalNetAmount"], r["totalTaxAmount"], r["totalAmount"]) for r in per_document] == [
        (2791, 530, 3321),
        (15132, 2875, 18007),
    ]
    assert per_document[0]["taxes"] == [{"taxId": 1, "taxName": "IVA", "taxAmount": 530}]
    assert per_document[0]["documentNumber"] == 1
    tickets = await bsale.get_json("documents/summary/ticket.json", rcofdaterange="[1405000000,1406000000]")
    assert tickets == [
        {
            "codeSii": "39",
            "documentTypeName": "BOLETA ELECTRÓNICA T",
            "count": 2,
            "totalNetAmount": 17923,
            "totalExemptAmount": 0,
            "totalIvaAmount": 3405,
            "totalAmount": 21328,
        }
    ]


async def test_every_href_the_mock_returns_resolves(bsale: Bsale) -> None:
    doc = await bsale.create(
        {**seed_example(), "dispatch": 1, "details": [{"variantId": 1, "quantity": 1, "taxId": "[1]"}]}
    )
    seen: set[str] = set()
    pending = [
        f"/bsale/v1/documents/{doc['id']}.json?expand=[payments]",
        "/bsale/v1/document_types.json",
        "/bsale/v1/clients.json",
        "/bsale/v1/price_lists.json",
        "/bsale/v1/variants.json",
        "/bsale/v1/users.json",
        "/bsale/v1/payment_types.json",
        "/bsale/v1/coins.json",
        "/bsale/v1/dte_codes.json",
        "/bsale/v1/dynamic_attributes.json",
        "/bsale/v1/taxes.json",
        "/bsale/v1/offices.json",
        "/bsale/v1/products.json",
        "/bsale/v1/book_types.json",
        "/bsale/v1/payments.json",
        f"/bsale/v1/documents/costs.json?documentid={doc['id']}",
    ]

    def hrefs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["href"]] if isinstance(node.get("href"), str) else []
            return found + [h for v in node.values() for h in hrefs(v)]
        if isinstance(node, list):
            return [h for v in node for h in hrefs(v)]
        return []

    while pending and len(seen) < 400:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        response = await bsale.mock.client.get(path, headers=bsale.headers)
        assert response.status == 200, path
        for href in hrefs(await response.json()):
            local = "/" + href.split("/", 3)[3]
            if local.startswith("/bsale/v1/") and local not in seen:
                pending.append(local)
    assert len(seen) > 60


async def test_catalogue_counts_filters_and_special_endpoints(bsale: Bsale) -> None:
    assert (await bsale.get_json("document_types/count.json")) == {"count": 15}
    assert [t["id"] for t in (await bsale.get_json("document_types.json", codesii=33))["items"]] == [8, 14]
    assert (await bsale.get_json("variants.json", code="DD1009M"))["items"][0]["id"] == 6884
    assert (await bsale.get_json("document_types/number_availables.json", documenttypeid=14)) == {
        "numbers_available": 0,
        "last": 2,  # its CAF (folios 1 and 2) is spent
    }
    details = await bsale.get_json("price_lists/18/details.json")
    assert {d["variant"]["id"]: d["variantValue"] for d in details["items"]}["1"] == 23438
    assert (await bsale.get_json("taxes/1.json"))["percentage"] == "19.0"
    assert (await bsale.get_json("coins/1.json"))["decimals"] == 0
    assert (await bsale.get("offices/99.json")).status == 404


async def test_an_empty_query_value_counts_as_absent(bsale: Bsale) -> None:
    page = await bsale.get_json("documents.json?limit=&offset=&fields=")
    assert (page["limit"], page["offset"]) == (25, 0)


async def test_a_huge_offset_is_echoed_not_a_500(bsale: Bsale) -> None:
    # found by the CI fuzz run: orjson writes no integer beyond 64 bits, and lists echo their offset
    page = await bsale.get_json("coins.json?offset=99999999999999999999999")
    assert (page["offset"], page["items"]) == (99999999999999999999999, [])


async def test_a_named_sub_path_that_is_not_an_id_is_bsales_404(bsale: Bsale) -> None:
    for path in ("clients/unpaid_documents.json", "users/sales_summary.json", "variants/abc.json"):
        response = await bsale.get(path)
        assert (response.status, await response.json()) == (404, {"error": "Not Found"}), path


async def test_the_summary_takes_fields_as_every_list_does(bsale: Bsale) -> None:
    await bsale.create(boleta(1000))
    rows = await bsale.get_json("documents/summary.json", fields="[codeSii,totalAmount]")
    assert rows and all(set(r) <= {"codeSii", "totalAmount"} for r in rows)


async def test_a_price_and_a_document_type_are_changed_as_bsale_lets_them(bsale: Bsale) -> None:
    put = bsale.mock.client.put
    response = await put(
        "/bsale/v1/price_lists/18/details/1.json", json={"variantValue": 25000}, headers=bsale.headers
    )
    assert response.status == 200 and (await response.json())["variantValue"] == 25000
    made = await bsale.create({**boleta(0), "details": [{"variantId": 1, "quantity": 1, "taxId": "[1]"}]})
    assert made["netAmount"] == 25000  # the new price is what a document without netUnitValue takes
    renamed = await put(
        "/bsale/v1/document_types/1.json", json={"name": "BOLETA ELECTRÓNICA"}, headers=bsale.headers
    )
    assert (await renamed.json())["name"] == "BOLETA ELECTRÓNICA"
    refused = await put("/bsale/v1/document_types/1.json", json={"codeSii": "33"}, headers=bsale.headers)
    assert refused.status == 400  # only name, state and useClient change
