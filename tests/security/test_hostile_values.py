"""Values no real backend can hold, and values sized to hurt: each is the provider's own 4xx, nothing
is stored, and the mock keeps serving everyone (safe-to-share issue, item 9)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import FormData

from tests.conftest import Mock
from tests.providers.hacienda.conftest import API, login
from tests.providers.tuimprenta.conftest import invoice_body

V1 = "/tuimprenta/v1"
KEY = {"Authorization": "Bearer k", "Content-Type": "application/json"}
BSALE = {"access_token": "t", "Content-Type": "application/json"}
HUGE = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", str(2**64), str(-(2**70)), "1" * 400]


@pytest.fixture
async def mock(make_mock: Any) -> Mock:
    result: Mock = await make_mock(providers=("tuimprenta", "bsale", "hacienda"))
    return result


@pytest.mark.parametrize("number", HUGE, ids=lambda n: n[:12])
async def test_a_number_no_backend_can_hold_is_refused_and_stores_nothing(mock: Mock, number: str) -> None:
    raw = json.dumps(invoice_body()).replace('"qty": 1', f'"qty": {number}')
    response = await mock.client.post(f"{V1}/invoices", data=raw.encode(), headers=KEY)
    malformed = await mock.client.post(f"{V1}/invoices", data=b"{not json", headers=KEY)
    assert response.status == malformed.status == 422
    assert (await response.json())["error"] == (await malformed.json())["error"]  # the seed's own words
    listed = await (await mock.client.get(f"{V1}/invoices", headers=KEY)).json()
    assert listed["data"] == []
    bsale = await mock.client.post(
        "/bsale/v1/documents.json",
        data=f'{{"codeSii": 39, "details": [{{"netUnitValue": 1000, "quantity": {number}}}]}}'.encode(),
        headers=BSALE,
    )
    assert bsale.status == 400 and "error" in await bsale.json()
    assert (await mock.client.get("/__admin/requests")).status == 200


@pytest.mark.parametrize("moment", [2**62, 2**40, -1])
async def test_a_bsale_emission_date_no_calendar_holds_is_a_400(mock: Mock, moment: int) -> None:
    body = {"codeSii": 39, "emissionDate": moment, "details": [{"netUnitValue": 1000, "quantity": 1}]}
    response = await mock.client.post("/bsale/v1/documents.json", json=body, headers={"access_token": "t"})
    assert response.status == 400 and "error" in await response.json()
    listed = await (await mock.client.get("/bsale/v1/documents.json", headers={"access_token": "t"})).json()
    assert listed["count"] == 0


@pytest.mark.parametrize("url", ["http://[::1/hooks", "http://host:port/hooks", "http://[zz::1]/"])
async def test_a_callback_url_that_does_not_parse_is_refused_never_left_pending(mock: Mock, url: str) -> None:
    body = {"type": "invoice.create", "payload": [invoice_body()], "callback_url": url}
    response = await mock.client.post(f"{V1}/batches", json=body, headers=KEY)
    assert response.status < 500
    await mock.advance(5)
    await mock.settle_webhooks()
    assert not [d for d in mock.runtime.webhooks.deliveries.values() if d.state == "pending"]


async def test_a_deeply_nested_json_batch_file_is_the_providers_422(mock: Mock) -> None:
    form = FormData()
    form.add_field("type", "invoice.create")
    form.add_field(
        "file", b"[" * 100_000 + b"]" * 100_000, filename="lote.json", content_type="application/json"
    )
    response = await mock.client.post(f"{V1}/batches", data=form, headers={"Authorization": "Bearer k"})
    assert response.status == 422 and (await response.json())["error"]["code"] == "E1004"


async def test_a_huge_field_is_never_echoed_in_x_error_cause_and_the_answer_arrives(mock: Mock) -> None:
    token = (await login(mock))["access_token"]
    body = {
        "clave": "5" * 50,
        "fecha": "2025-01-01T00:00:00-06:00",
        "emisor": {"tipoIdentificacion": "01", "numeroIdentificacion": "x" * 200_000},
        "comprobanteXml": "PA==",
    }
    response = await mock.client.post(
        f"{API}/recepcion", json=body, headers={"Authorization": f"bearer {token}"}
    )
    assert response.status == 400
    cause = response.headers["X-Error-Cause"]
    assert 0 < len(cause) <= 1024 and "x" * 100 not in cause  # the rule broken, in Spanish, never the value
    assert cause == "El campo emisor.numeroIdentificacion debe tener como máximo 12 caracteres"
