"""Tenant isolation: what one credential creates, another cannot read, list, change or cancel (404)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Mock, MockFactory
from tests.providers.tuimprenta.conftest import invoice_body

FACTURA = {
    "documentTypeId": 8,
    "clientId": 24,
    "details": [{"variantId": 1, "netUnitValue": 1000, "quantity": 1, "taxId": "[1]"}],
}


@pytest.fixture
async def mock(make_mock: MockFactory) -> Mock:
    result: Mock = await make_mock(providers=("bsale", "tuimprenta"))
    return result


async def _json(response: Any) -> Any:
    return await response.json()


async def test_bsale_documents_are_per_access_token(mock: Mock) -> None:
    owner, stranger = {"access_token": "owner"}, {"access_token": "stranger"}
    created = await _json(await mock.client.post("/bsale/v1/documents.json", json=FACTURA, headers=owner))
    path = f"/bsale/v1/documents/{created['id']}.json"
    assert (await mock.client.get(path, headers=owner)).status == 200
    for method, url in (
        ("GET", path),
        ("GET", f"/bsale/v1/documents/{created['id']}/details.json"),
        ("DELETE", f"{path}?officeId=1"),
    ):
        response = await mock.client.request(method, url, headers=stranger)
        assert response.status == 404, (method, url, response.status)
    listed = await _json(await mock.client.get("/bsale/v1/documents.json", headers=stranger))
    assert created["id"] not in [d["id"] for d in listed["items"]]


async def test_tuimprenta_invoices_are_per_api_key(mock: Mock) -> None:
    owner, stranger = {"Authorization": "Bearer owner"}, {"Authorization": "Bearer stranger"}
    created = await _json(
        await mock.client.post("/tuimprenta/v1/invoices", json=invoice_body(), headers=owner)
    )
    base = f"/tuimprenta/v1/invoices/{created['id']}"
    for method, url in (
        ("GET", base),
        ("GET", f"{base}/pdf"),
        ("GET", f"{base}/xml"),
        ("POST", f"{base}/cancel"),
    ):
        response = await mock.client.request(
            method, url, headers=stranger, json={"reason": "x"} if method == "POST" else None
        )
        assert response.status == 404, (method, url, response.status)
    listed = await _json(await mock.client.get("/tuimprenta/v1/invoices", headers=stranger))
    assert listed["data"] == []
    kept = await _json(await mock.client.get(base, headers=owner))
    assert kept["status"] == "issued"  # the stranger's cancel changed nothing
