"""Tenant isolation, endpoint by endpoint: what one credential creates, another cannot read, list,
change or cancel (404), and the owner finds it untouched afterwards.

Each provider's test aims at every secured operation of its spec that takes a path parameter, and
fails when the spec gains one it does not aim at: a new endpoint cannot skip the check.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.core.kit.rut import check_digit
from mockserver.core.plugin import Unsupported
from mockserver.core.runtime import load_provider
from mockserver.core.specs import Spec
from tests.conftest import Mock, MockFactory
from tests.providers.avenio.conftest import Avenio, emision
from tests.providers.avenio.conftest import token as avenio_token
from tests.providers.hacienda.conftest import Hacienda, login
from tests.providers.hacienda.conftest import sample as hacienda_sample
from tests.providers.tuimprenta.conftest import invoice_body
from tests.providers.tupana.conftest import ISSUER, Tupana, factura

Probe = tuple[str, str, Any]  # method, path, JSON body
NOT_TENANT_RESOURCES = {
    # the realm is public configuration, not something a tenant makes
    "hacienda": {"createToken", "logout", "getCerts", "getOpenIdConfiguration"},
    # every company is seeded with the same catalogue: ids like offices/1 exist in each instance
    "bsale": {
        # each instance's own copy of the seeded catalogue (test_a_catalogue_change_stays_in_its_instance)
        "updateDocumentType",
        "updatePriceListDetail",
        "listProductVariants",
        "getDocumentType",
        "getOffice",
        "getPriceList",
        "getTax",
        "getVariant",
        "getProduct",
        "getPaymentType",
        "getCoin",
        "getUser",
        "getDteCode",
        "getDynamicAttribute",
        "getBookType",
        "listPriceListDetails",
        "getPriceListDetail",
        "getDiscount",
        "getSaleCondition",
        "getShippingType",
        "getCoinExchangeRate",
        # a stock record per seeded variant and office, and a seeded variant's costs, in each instance
        # (test_bsale_documents_clients_payments_and_shippings_are_per_access_token reads them)
        "getStock",
        "getVariantCosts",
    },
}


def resource_operations(provider: str) -> set[str]:
    """Secured operations that name a resource in their path (capability links are not secured)."""
    spec = Spec(load_provider(provider).spec_path)
    handlers = load_provider(provider).operations
    return {
        op.id
        for op in spec.operations.values()
        if op.secured
        and any(p.location == "path" for p in op.params)
        and not isinstance(handlers[op.id], Unsupported)
    } - NOT_TENANT_RESOURCES.get(provider, set())


async def assert_invisible(
    mock: Mock, provider: str, stranger: dict[str, str], probes: dict[str, Probe]
) -> None:
    assert resource_operations(provider) == set(probes), "an endpoint of the spec is not probed"
    for op_id, (method, path, body) in probes.items():
        response = await mock.client.request(method, path, headers=stranger, json=body)
        assert response.status == 404, (op_id, method, path, response.status, await response.text())


@pytest.fixture
async def mock(make_mock: MockFactory) -> Mock:
    result: Mock = await make_mock(rate_limits={"*": 100.0})  # dozens of probes on a frozen clock
    return result


async def _json(response: Any, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def test_hacienda_comprobantes_are_per_user(mock: Mock) -> None:
    owner = Hacienda(mock, (await login(mock, "owner@stag"))["access_token"])
    stranger = {"Authorization": f"bearer {(await login(mock, 'stranger@stag'))['access_token']}"}
    clave = await owner.submit(hacienda_sample.Sample(numero=777))
    api = "/hacienda/recepcion-sandbox/v1"
    await assert_invisible(
        mock,
        "hacienda",
        stranger,
        {
            "getRecepcion": ("GET", f"{api}/recepcion/{clave}", None),
            "getComprobante": ("GET", f"{api}/comprobantes/{clave}", None),
        },
    )
    listed = await mock.client.get(f"{api}/comprobantes", headers=stranger)
    assert clave not in await listed.text()
    assert (await owner.status(clave))["ind-estado"] in ("recibido", "procesando", "aceptado")


async def test_avenio_operations_are_per_client(mock: Mock) -> None:
    owner = Avenio(mock, await avenio_token(mock))
    stranger_token = await avenio_token(mock, ("stranger-client", "stranger-secret"))
    response = await owner.post("emitir", emision())
    operation = (await _json(response, 202))["data"]["operationId"]
    await assert_invisible(
        mock,
        "avenio",
        {"Authorization": f"Bearer {stranger_token}"},
        {"getOperacion": ("GET", f"/avenio/api/v1/bhe/operaciones/{operation}", None)},
    )
    # nor void the owner's boleta by its folio: folios are the owner's, checked before accepting
    await mock.advance(5)
    assert (await owner.operation(operation))["status"] == "completed"
    anular = await mock.client.post(
        "/avenio/api/v1/bhe/anular",
        json={"rutUsuario": "11111111-1", "passwordSII": "clave-sii-prueba", "folio": 1, "causa": 1},
        headers={
            "Authorization": f"Bearer {stranger_token}",
            "Idempotency-Key": "6f1c4b1e-0000-4000-8000-000000000001",
        },
    )
    assert (anular.status, (await anular.json())["error"]["code"]) == (404, "folio_not_found")
    assert (await owner.operation(operation))["result"]["estado"] == "vigente"


async def test_tupana_batches_documents_webhooks_and_connections_are_per_api_key(mock: Mock) -> None:
    owner, stranger = Tupana(mock, "sandbox_owner"), Tupana(mock, "sandbox_stranger")
    await owner.enrol()
    entity = await owner.ok("GET", f"/master-entities/?rut={ISSUER}")
    hook = await owner.ok(
        "POST",
        "/webhooks/",
        201,
        json={
            "master_entity_id": entity["id"],
            "url": "https://example.com/h",
            "events": ["document.issued"],
        },
    )
    batch = await _json(await owner.batch([factura()]), 202)
    await mock.advance(5)
    listed = await owner.ok("GET", f"/documents/?master_entity_id={entity['id']}")
    document = listed["data"][0]["id"]
    charge = await owner.ok(
        "POST", "/payment-requests/", 201, json={"recipient_id": "c", "document_ids": [document]}
    )
    cession = await owner.ok(
        "POST",
        "/cessions/batch/",
        202,
        json={
            "master_entity_id": entity["id"],
            "document_ids": [document],
            "assignee_rut": "76798398",
            "assignee_dv": check_digit(76798398),
            "assignee_business_name": "F",
            "assignee_address": "A",
            "assignee_email": "f@f.test",
        },
    )
    await mock.advance(5)
    ceded = (await owner.ok("GET", f"/cessions/batch/{cession['cession_batch_id']}/"))["batch_cessions"][0][
        "id"
    ]
    v2 = "/tupana/v2"
    await assert_invisible(
        mock,
        "tupana",
        stranger.headers,
        {
            "retrieveBatch": ("GET", f"{v2}/documents/batch/{batch['batch_id']}/", None),
            "retrieveDocument": ("GET", f"{v2}/documents/{document}/", None),
            "issueDocument": ("PATCH", f"{v2}/documents/{document}/", {"state": "issued"}),
            "listDocumentStates": ("GET", f"{v2}/documents/{document}/states/", None),
            "createDocumentState": ("POST", f"{v2}/documents/{document}/states/", {"event_code": "PAID"}),
            "retrieveWebhook": ("GET", f"{v2}/webhooks/{hook['id']}/", None),
            "updateWebhook": ("PATCH", f"{v2}/webhooks/{hook['id']}/", {"url": "https://evil.example/h"}),
            "testWebhook": ("POST", f"{v2}/webhooks/{hook['id']}/test/", {}),
            "deleteWebhook": ("DELETE", f"{v2}/webhooks/{hook['id']}/", None),
            "deactivateConnection": ("DELETE", f"{v2}/connections/{entity['id']}/", None),
            "retrievePaymentRequest": ("GET", f"{v2}/payment-requests/{charge['payment_request_id']}/", None),
            "updatePaymentRequest": (
                "PATCH",
                f"{v2}/payment-requests/{charge['payment_request_id']}/",
                {"status": "issued"},
            ),
            "retrieveCessionBatch": ("GET", f"{v2}/cessions/batch/{cession['cession_batch_id']}/", None),
            "retrieveCession": ("GET", f"{v2}/cessions/{ceded}/", None),
        },
    )
    stranger_list = await stranger.call("GET", f"/documents/?master_entity_id={entity['id']}")
    assert document not in await stranger_list.text()
    assert (await owner.ok("GET", f"/documents/{document}/"))["is_paid"] is False
    assert (await owner.ok("GET", f"/webhooks/{hook['id']}/"))["url"] == "https://example.com/h"
    connections = await owner.ok("GET", "/connections/")
    assert [c["status"] for c in connections["data"]] == ["active"]


async def test_bsale_documents_clients_payments_and_shippings_are_per_access_token(mock: Mock) -> None:
    owner, stranger = {"access_token": "owner"}, {"access_token": "stranger"}
    body = {
        "documentTypeId": 8,
        "client": {
            "code": "13131313-6",
            "company": "Solo del dueño",
            "city": "Stgo",
            "municipality": "Stgo",
            "activity": "giro",
            "address": "dir",
        },
        "details": [{"variantId": 157, "netUnitValue": 1000, "quantity": 1, "taxId": "[1]"}],
        "officeId": 1,
        "references": [{"number": 1, "referenceDate": 1407715200, "reason": "OC", "codeSii": 801}],
        "dynamicAttributes": [{"description": "x", "dynamicAttributeId": 17}],
        "dispatch": 1,
    }
    doc = await _json(await mock.client.post("/bsale/v1/documents.json", json=body, headers=owner), 201)
    v1, d = "/bsale/v1", f"/bsale/v1/documents/{doc['id']}"

    async def first_id(path: str) -> Any:
        return (await _json(await mock.client.get(path, headers=owner)))["items"][0]["id"]

    client = doc["client"]["id"]
    payment = await first_id(f"{v1}/payments.json")
    costs = await _json(
        await mock.client.get(f"{v1}/documents/costs.json?documentid={doc['id']}", headers=owner)
    )
    shipping_detail = costs["cost_detail"][0]["shipping_detail"]["href"].split("/v1/", 1)[1]
    shipping = shipping_detail.split("/")[1]
    expanded = await _json(await mock.client.get(f"{d}.json?expand=[details]", headers=owner))
    given_back = {
        "documentTypeId": 5,
        "referenceDocumentId": doc["id"],
        "client": body["client"],
        "details": [{"documentDetailId": expanded["details"]["items"][0]["id"], "quantity": 1}],
    }
    made = await _json(await mock.client.post(f"{v1}/returns.json", json=given_back, headers=owner), 201)
    annulled = await _json(
        await mock.client.post(f"{v1}/returns/{made['id']}/annulments.json", json={}, headers=owner), 201
    )
    moves = {}
    for kind in ("receptions", "consumptions"):
        move = {"officeId": 1, "details": [{"variantId": 157, "quantity": 1}]}
        moves[kind] = await _json(
            await mock.client.post(f"{v1}/stocks/{kind}.json", json=move, headers=owner), 201
        )
    probes: dict[str, Probe] = {
        "getReturn": ("GET", f"{v1}/returns/{made['id']}.json", None),
        "listReturnDetails": ("GET", f"{v1}/returns/{made['id']}/details.json", None),
        "createAnnulment": ("POST", f"{v1}/returns/{made['id']}/annulments.json", {}),
        "getAnnulment": ("GET", f"{v1}/returns/{made['id']}/annulments/{annulled['id']}.json", None),
        "getShipping": ("GET", f"{v1}/shippings/{shipping}.json", None),
        "listShippingDetails": ("GET", f"{v1}/shippings/{shipping}/details.json", None),
        "getReception": ("GET", f"{v1}/stocks/receptions/{moves['receptions']['id']}.json", None),
        "listReceptionDetails": (
            "GET",
            f"{v1}/stocks/receptions/{moves['receptions']['id']}/details.json",
            None,
        ),
        "getConsumption": ("GET", f"{v1}/stocks/consumptions/{moves['consumptions']['id']}.json", None),
        "listConsumptionDetails": (
            "GET",
            f"{v1}/stocks/consumptions/{moves['consumptions']['id']}/details.json",
            None,
        ),
        "getDocument": ("GET", f"{d}.json", None),
        "deleteDocument": ("DELETE", f"{d}.json?officeId=1", None),
        "getClient": ("GET", f"{v1}/clients/{client}.json", None),
        "updateClient": ("PUT", f"{v1}/clients/{client}.json", {"phone": "1"}),
        "listClientAddresses": ("GET", f"{v1}/clients/{client}/addresses.json", None),
        "getClientAddress": ("GET", f"{v1}/clients/{client}/addresses/1.json", None),
        "listClientContacts": ("GET", f"{v1}/clients/{client}/contacts.json", None),
        "listClientAttributes": ("GET", f"{v1}/clients/{client}/attributes.json", None),
        "getPayment": ("GET", f"{v1}/payments/{payment}.json", None),
        "getShippingDetail": ("GET", f"{v1}/{shipping_detail}", None),
    }
    for part, many, one in (
        ("details", "Details", "Detail"),
        ("references", "References", "Reference"),
        ("document_taxes", "DocumentTaxes", "DocumentTax"),
        ("sellers", "Sellers", "Seller"),
        ("attributes", "Attributes", "Attribute"),
    ):
        item = await first_id(f"{d}/{part}.json")
        probes[f"listDocument{many}"] = ("GET", f"{d}/{part}.json", None)
        probes[f"getDocument{one}"] = ("GET", f"{d}/{part}/{item}.json", None)
    await assert_invisible(mock, "bsale", stranger, probes)
    listed = await _json(await mock.client.get(f"{v1}/documents.json", headers=stranger))
    assert doc["id"] not in [x["id"] for x in listed["items"]]
    # the owner's sale, return, annulment, reception and consumption moved the owner's stock only
    stock = f"{v1}/stocks.json?variantid=157&officeid=1"
    assert (await _json(await mock.client.get(stock, headers=stranger)))["items"][0]["quantity"] == 12
    assert (await _json(await mock.client.get(stock, headers=owner)))["items"][0]["quantity"] == 11
    for path in ("returns.json", "shippings.json", "stocks/receptions.json", "stocks/consumptions.json"):
        assert (await _json(await mock.client.get(f"{v1}/{path}", headers=stranger)))["count"] == 0
    assert (await _json(await mock.client.get(f"{d}.json", headers=owner)))["state"] == 0


async def test_tuimprenta_invoices_and_batches_are_per_api_key(mock: Mock) -> None:
    owner, stranger = {"Authorization": "Bearer owner"}, {"Authorization": "Bearer stranger"}
    invoice = await _json(
        await mock.client.post("/tuimprenta/v1/invoices", json=invoice_body(), headers=owner), 201
    )
    batch = await _json(
        await mock.client.post(
            "/tuimprenta/v1/batches",
            json={"type": "invoice.create", "payload": [invoice_body()]},
            headers=owner,
        ),
        202,
    )
    i, b = f"/tuimprenta/v1/invoices/{invoice['id']}", f"/tuimprenta/v1/batches/{batch['id']}"
    await assert_invisible(
        mock,
        "tuimprenta",
        stranger,
        {
            "getInvoice": ("GET", i, None),
            "getInvoicePdf": ("GET", f"{i}/pdf", None),
            "getInvoiceXml": ("GET", f"{i}/xml", None),
            "cancelInvoice": ("POST", f"{i}/cancel", {"reason": "x"}),
            "issueInvoice": ("POST", f"{i}/issue", None),
            "getBatch": ("GET", b, None),
            "getBatchResultCsv": ("GET", f"{b}/result.csv", None),
            "getBatchResult": ("GET", f"{b}/result", None),
            "getBatchResultJson": ("GET", f"{b}/result.json", None),
        },
    )
    listed = await _json(await mock.client.get("/tuimprenta/v1/invoices", headers=stranger))
    assert listed["data"] == []
    assert (await _json(await mock.client.get(i, headers=owner)))["status"] == "issued"


async def test_a_catalogue_change_stays_in_its_instance(mock: Mock) -> None:
    owner, stranger = {"access_token": "owner"}, {"access_token": "stranger"}
    put = mock.client.put
    assert (
        await put("/bsale/v1/price_lists/18/details/1.json", json={"variantValue": 1}, headers=owner)
    ).status == 200
    assert (await put("/bsale/v1/document_types/1.json", json={"name": "MINE"}, headers=owner)).status == 200
    price = await _json(await mock.client.get("/bsale/v1/price_lists/18/details/1.json", headers=stranger))
    kind = await _json(await mock.client.get("/bsale/v1/document_types/1.json", headers=stranger))
    assert price["variantValue"] != 1 and kind["name"] != "MINE"
