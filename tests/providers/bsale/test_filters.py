"""Every filter the spec lists for a Bsale list narrows it (derived from the spec, so a filter added
there is tested here), and a parameter Bsale does not document is named back, never silently passed."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from mockserver.paths import SPECS
from tests.providers.bsale.conftest import Bsale, boleta

PAGING = {"limit", "offset", "fields", "expand"}


def _lists() -> list[tuple[str, str]]:
    spec = yaml.safe_load((SPECS / "bsale" / "openapi.yaml").read_text(encoding="utf-8"))
    out = []
    for path, item in spec["paths"].items():
        get = item.get("get")
        # the catalogue's lists (documents, their summaries and payments have tests of their own)
        if not get or "{" in path or path.startswith(("/v1/documents", "/v1/document_types/")):
            continue
        if "List" not in str(get["responses"]["200"]) or path == "/v1/payments.json":
            continue
        for param in get.get("parameters", []):
            name = param.get("name") or param.get("$ref", "").rsplit("/", 1)[-1]
            if name not in PAGING:
                out.append((path.removeprefix("/v1/"), name))
    return out


def _value(item: dict[str, Any], param: str) -> Any:
    """The item's value for a filter: its field of that name, or the id of the relation it names
    (`officeid` is the `office` stub's id, `referencedocumentid` the `reference_document` one's)."""
    key = next((k for k in item if k.lower() == param), None)
    if key is not None:
        return item[key]
    relation = next((k for k in item if param == k.replace("_", "").lower() + "id"), None)
    stub = item.get(relation) if relation else None
    return stub.get("id") if isinstance(stub, dict) else None


async def _movements(bsale: Bsale) -> None:
    """Two of each record the movement lists hold, at two offices, of two kinds."""
    for office in (1, 2):
        made = await bsale.create(
            {
                "codeSii": 33,
                "clientId": 24,
                "officeId": office,
                "dispatch": 1,
                "details": [{"variantId": 1, "quantity": 2, "taxId": "[1]"}],
            }
        )
        sold = await bsale.get_json(f"documents/{made['id']}.json", expand="[details]")
        line = sold["details"]["items"][0]["id"]
        given_back = {
            "documentTypeId": 5,
            "referenceDocumentId": sold["id"],
            "clientId": 24,
            "officeId": office,
        }
        await bsale.made(
            "returns.json", {**given_back, "details": [{"documentDetailId": line, "quantity": 1}]}
        )
        lines = [{"variantId": 1, "quantity": 1}]
        guide = {"shippingTypeId": office, "clientId": 24, "officeId": office, "details": lines}
        await bsale.made("shippings.json", guide)
        for kind in ("receptions", "consumptions"):
            await bsale.made(f"stocks/{kind}.json", {"officeId": office, "details": lines})


@pytest.mark.parametrize(("path", "param"), _lists())
async def test_each_documented_filter_narrows_its_list(bsale: Bsale, path: str, param: str) -> None:
    if path.startswith(("returns", "shippings", "stocks/")):
        await _movements(bsale)
    everything = (await bsale.get_json(path, limit=50))["items"]
    with_value = [i for i in everything if _value(i, param) not in (None, "")]
    if not with_value:  # no record has the field: a value must then find none, not all
        found = await bsale.get_json(path, **{param: "no-such-value"})
        assert found["items"] == [] and found["count"] == 0
        return
    wanted = _value(with_value[-1], param)
    found = (await bsale.get_json(path, **{param: str(wanted)}))["items"]
    assert found and all(str(_value(i, param)).lower() == str(wanted).lower() for i in found)
    if any(str(_value(i, param)).lower() != str(wanted).lower() for i in everything):
        assert len(found) < len(everything)
    assert (await bsale.get_json(path, **{param: "no-such-value"}))["items"] == []


async def test_variants_are_found_by_barcode_and_price_list_details_by_variant(bsale: Bsale) -> None:
    variants = (await bsale.get_json("variants.json", limit=50))["items"]
    target = next(v for v in variants if v.get("barCode"))
    found = await bsale.get_json("variants.json", barcode=target["barCode"])
    assert [v["id"] for v in found["items"]] == [target["id"]]
    details = await bsale.get_json("price_lists/18/details.json", variantid=1)
    assert [d["id"] for d in details["items"]] == [1]
    by_code = await bsale.get_json("price_lists/18/details.json", code="no-such-sku")
    assert by_code["items"] == []


async def test_payments_are_found_by_their_document(bsale: Bsale) -> None:
    first = await bsale.create(
        {**boleta(1000), "payments": [{"paymentTypeId": 1, "amount": 1190, "recordDate": 1407715200}]}
    )
    await bsale.create(
        {**boleta(2000), "payments": [{"paymentTypeId": 1, "amount": 2380, "recordDate": 1407715200}]}
    )
    everything = await bsale.get_json("payments.json")
    mine = await bsale.get_json("payments.json", documentid=first["id"])
    assert everything["count"] == 2 and mine["count"] == 1


async def test_a_parameter_bsale_does_not_document_is_named_back(bsale: Bsale) -> None:
    response = await bsale.get("clients.json", name="Juan", colour="red")
    assert response.status == 200
    assert response.headers["X-Mock-Ignored-Params"] == "name,colour"  # clients filter by firstname


async def test_expand_and_fields_in_quoted_json_are_read_as_bsales_own_form(bsale: Bsale) -> None:
    made = await bsale.create(boleta(1000))
    plain = await bsale.get_json(f"documents/{made['id']}.json", expand="[details,client]")
    quoted = await bsale.get_json(f"documents/{made['id']}.json", expand='["details","client"]')
    assert quoted == plain and "items" in quoted["details"]
    fields = await bsale.get_json("documents.json", fields='["number"]')
    assert set(fields["items"][0]) == {"href", "number"}


async def test_an_ignored_parameter_with_a_newline_is_never_echoed_into_a_header(bsale: Bsale) -> None:
    response = await bsale.mock.client.get(
        "/bsale/v1/variants.json?a%0d%0aSet-Cookie:%20x=1=2&colour=red", headers=bsale.headers
    )
    assert response.status == 200
    assert response.headers["X-Mock-Ignored-Params"] == "colour" and "Set-Cookie" not in response.headers


async def test_a_products_variants_are_listed_and_filtered(bsale: Bsale) -> None:
    variants = (await bsale.get_json("variants.json", limit=50))["items"]
    product = variants[0]["product"]["id"]
    mine = [v["id"] for v in variants if v["product"]["id"] == product]
    listed = await bsale.get_json(f"products/{product}/variants.json")
    assert [v["id"] for v in listed["items"]] == mine and listed["count"] == len(mine)
    none = await bsale.get_json(f"products/{product}/variants.json", code="no-such-sku")
    assert none["items"] == []
    assert (await bsale.get("products/999999/variants.json")).status == 404
