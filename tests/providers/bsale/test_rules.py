"""DELETE rules, auth and instances, errors, rate limit, and Bsale's notifications."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from mockserver.core.services.masking import tenant_label
from tests.conftest import Mock
from tests.providers.bsale.conftest import TOKEN, V1, Bsale, boleta, notifications, seed_example

NOTA_DE_VENTA = {
    "documentTypeId": 2,
    "officeId": 1,
    "details": [{"variantId": 157, "quantity": 1, "taxId": "[1]"}],
}


async def test_delete_inactivates_a_non_electronic_document_and_restores_its_stock(bsale: Bsale) -> None:
    doc = await bsale.create({**NOTA_DE_VENTA, "dispatch": 1})
    stock = (
        bsale.mock.runtime.providers["bsale"]
        .state.instance(tenant_label(TOKEN))
        .catalogue.variants[157]["stock"]
    )
    assert stock["1"] == 11
    response = await bsale.mock.client.delete(
        f"{V1}/documents/{doc['id']}.json?officeId=1", headers=bsale.headers
    )
    assert response.status == 200
    assert (await response.json())["state"] == 1
    assert stock["1"] == 12
    assert (await bsale.get_json("documents.json", state=1))["count"] == 1
    assert (await bsale.get_json(f"documents/{doc['id']}.json"))["state"] == 1
    again = await bsale.mock.client.delete(
        f"{V1}/documents/{doc['id']}.json?officeId=1", headers=bsale.headers
    )
    assert again.status == 404


async def test_delete_refuses_electronic_used_and_officeless_requests(bsale: Bsale) -> None:
    electronic = await bsale.create(boleta(1000))
    response = await bsale.mock.client.delete(
        f"{V1}/documents/{electronic['id']}.json?officeId=1", headers=bsale.headers
    )
    assert response.status == 400
    source = await bsale.create(NOTA_DE_VENTA)
    detail_id = (await bsale.get_json(f"documents/{source['id']}/details.json"))["items"][0]["id"]
    await bsale.create({"codeSii": 39, "details": [{"detailId": detail_id, "quantity": 1}]})
    response = await bsale.mock.client.delete(
        f"{V1}/documents/{source['id']}.json?officeId=1", headers=bsale.headers
    )
    assert (response.status, await response.json()) == (
        400,
        {"error": "This document may not be removed because it was used"},
    )
    fresh = await bsale.create(NOTA_DE_VENTA)
    response = await bsale.mock.client.delete(f"{V1}/documents/{fresh['id']}.json", headers=bsale.headers)
    assert response.status == 400


async def test_missing_or_empty_access_token_is_401_with_bsales_words(mock: Mock) -> None:
    for headers in ({}, {"access_token": ""}, {"Authorization": f"Bearer {TOKEN}"}):
        response = await mock.client.get(f"{V1}/documents.json", headers=headers)
        assert (response.status, await response.json()) == (
            401,
            {"error": "Sorry, this request can not be authenticated"},
        )


async def test_a_blocked_instance_is_402(mock: Mock) -> None:
    response = await mock.client.get(f"{V1}/documents.json", headers={"access_token": "blocked-demo"})
    assert response.status == 402
    assert "blocked" in (await response.json())["error"]


async def test_each_access_token_is_its_own_instance(mock: Mock) -> None:
    alice, bob = Bsale(mock, "token-alice"), Bsale(mock, "token-bob")
    doc = await alice.create(boleta(1000))
    assert (await bob.get(f"documents/{doc['id']}.json")).status == 404
    assert (await bob.get_json("documents/count.json")) == {"count": 0}
    assert (await bob.create(boleta(1000)))["number"] == 1
    assert "/view/2/" in doc["urlPdf"]
    assert "/view/3/" in (await bob.create(boleta(1000)))["urlPdf"]
    public = await mock.client.get("/" + doc["urlPdf"].split("/", 3)[3].replace("/view/2/", "/view/3/"))
    assert public.status == 404


async def test_unknown_paths_and_methods_answer_in_bsales_shape(bsale: Bsale) -> None:
    response = await bsale.get("nothing.json")
    assert (response.status, await response.json()) == (404, {"error": "Not Found"})
    response = await bsale.mock.client.put(f"{V1}/documents.json", headers=bsale.headers, json={})
    assert (response.status, await response.json()) == (405, {"error": "Method Not Allowed"})


async def test_ten_requests_a_second_then_429(make_mock: Any) -> None:
    mock = await make_mock(providers=("bsale",))
    bsale = Bsale(mock)
    statuses = [(await bsale.get("coins.json")).status for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    response = await bsale.get("coins.json")
    assert (await response.json()) == {"error": "Too Many Requests"}
    assert int(response.headers["Retry-After"]) >= 1
    await mock.advance(1)
    assert (await bsale.get("coins.json")).status == 200


async def test_notifications_follow_documents_payments_stock_and_deletes(
    bsale: Bsale, aiohttp_server: Any
) -> None:
    received = await notifications(bsale, aiohttp_server)
    doc = await bsale.create(
        {**seed_example(), "dispatch": 1, "details": [{"variantId": 157, "quantity": 1, "taxId": "[1]"}]}
    )
    await bsale.mock.advance(2)
    note = await bsale.create(NOTA_DE_VENTA)
    await bsale.mock.client.delete(f"{V1}/documents/{note['id']}.json?officeId=1", headers=bsale.headers)
    await bsale.mock.settle_webhooks()
    seen = [(json.loads(body), headers) for body, headers in received]
    events = [(p["topic"], p["action"], p["resource"]) for p, _ in seen]
    assert ("document", "post", f"/documents/{doc['id']}.json") in events
    # each topic's resource as Bsale writes it (bsale-api.md §9)
    assert ("payment", "post", "/v1/payments/1.json") in events
    assert ("stock", "put", "/v2/stocks.json?variant=157&office=1") in events
    assert ("document", "put", f"/documents/{doc['id']}.json") in events  # informedSii changed
    assert ("document", "delete", f"/documents/{note['id']}.json") in events
    first = next(p for p, _ in seen if p["topic"] == "document" and p["action"] == "post")
    assert set(first) == {"cpnId", "resource", "resourceId", "topic", "action", "send", "officeId"}
    assert (first["cpnId"], first["resourceId"], first["officeId"]) == (2, str(doc["id"]), "1")
    assert all("X-Mock-Signature" not in headers for _, headers in seen)


async def test_opt_in_signature_on_notifications(bsale: Bsale, aiohttp_server: Any) -> None:
    seen = await notifications(bsale, aiohttp_server, secret="s3")
    await bsale.create(boleta(1000))
    await bsale.mock.settle_webhooks()
    body, headers = seen[0]
    assert headers["X-Mock-Signature"] == "sha256=" + hmac.new(b"s3", body, hashlib.sha256).hexdigest()


async def test_a_public_link_naming_no_instance_is_404_not_400(mock: Mock) -> None:
    # found by fuzzing: the public file host knows links or it does not; it never validates them
    for path in ("/bsale/view/null,null/0.pdf", "/bsale/view/x/0", "/bsale/v1/99999999999/files/0.xml"):
        response = await mock.client.get(path)
        assert response.status == 404, path
