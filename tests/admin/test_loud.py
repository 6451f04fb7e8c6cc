"""Mistakes are loud: a typo in a scenario, a rule, a clock call or a journal filter is a 4xx that names
the bad value and the good ones, never a silently normal answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mockserver.client import AdminCallFailed, Client
from tests.conftest import Mock
from tests.providers.bsale.conftest import TOKEN, boleta

HEADERS = {
    "hacienda": {},
    "avenio": {},
    "bsale": {"access_token": TOKEN},
    "tupana": {"Authorization": "Api-Key k"},
    "tuimprenta": {"Authorization": "Bearer k"},
}
PATHS = {
    "hacienda": "/hacienda/recepcion-sandbox/v1/comprobantes",
    "avenio": "/avenio/api/v1/bhe/operaciones/x",
    "bsale": "/bsale/v1/coins.json",
    "tupana": "/tupana/v2/batches/",
    "tuimprenta": "/tuimprenta/v1/invoices",
}


@pytest.mark.parametrize("provider", list(PATHS))
async def test_an_unknown_scenario_header_is_refused_in_the_providers_envelope(
    mock: Mock, provider: str
) -> None:
    headers = {**HEADERS[provider], "X-Mock-Scenario": "rate-limitd"}
    response = await mock.client.get(PATHS[provider], headers=headers)
    assert response.status == 400
    text = await response.text()
    header_cause = response.headers.get("X-Error-Cause", "")
    said = text + header_cause
    assert "rate-limitd" in said and "rate-limited" in said  # the typo, and the catalogue to pick from
    if provider != "hacienda":  # Hacienda's errors are a header and an empty body, as the real API's
        assert response.content_type == "application/json"


async def _admin(mock: Mock, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    response = await mock.client.request(method, f"/__admin{path}", **kwargs)
    return response.status, await response.json()


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        (
            "POST",
            "/scenarios",
            {"provider": "bsale", "operation": "createDocumnt", "status": 503},
            "createDocument",
        ),
        ("POST", "/scenarios", {"provider": "bsael", "status": 503}, "running: hacienda"),
        ("POST", "/scenarios", {"provider": "bsale", "stauts": 503}, "unknown rule field 'stauts'"),
        ("POST", "/clock", {"advnce": 5}, "unknown clock field 'advnce'; known: advance"),
        ("POST", "/lifecycle", {"provider": "bsale", "mod": "manual"}, "unknown lifecycle field 'mod'"),
        ("POST", "/reset", {"tennant": "x"}, "unknown reset field 'tennant'"),
        ("POST", "/verify", {"operation": "createDocumnt", "times": 1}, "unknown operation 'createDocumnt'"),
        ("POST", "/verify", {"operaton": "createDocument"}, "unknown verify field 'operaton'"),
    ],
)
async def test_an_admin_call_with_a_typo_is_refused_naming_it(
    mock: Mock, method: str, path: str, body: dict[str, Any], expected: str
) -> None:
    status, answer = await _admin(mock, method, path, json=body)
    assert status == 400 and expected in answer["error"]
    assert mock.runtime.scenarios.rules == []  # nothing was half-done


async def test_an_unknown_journal_filter_or_operation_is_refused(mock: Mock) -> None:
    status, answer = await _admin(mock, "GET", "/requests?opertion=createDocument")
    assert status == 400 and "unknown journal filter 'opertion'" in answer["error"]
    status, answer = await _admin(mock, "GET", "/requests?provider=bsale&operation=getDocumnt")
    assert status == 400 and "getDocument" in answer["error"]


async def test_every_retry_is_journaled_with_its_body_tenant_and_scenario(mock: Mock) -> None:
    headers = {"access_token": TOKEN}
    status, rule = await _admin(
        mock,
        "POST",
        "/scenarios",
        json={"provider": "bsale", "operation": "createDocument", "status": 503, "times": 2},
    )
    assert status == 201
    statuses = [
        (await mock.client.post("/bsale/v1/documents.json", json=boleta(1000), headers=headers)).status
        for _ in range(3)
    ]
    assert statuses == [503, 503, 201]
    entries = mock.runtime.journal.query(operation="createDocument")
    assert [e.status for e in entries] == [201, 503, 503]
    assert len({e.tenant for e in entries}) == 1 and entries[0].tenant is not None
    assert all(e.request_body == boleta(1000) for e in entries)
    assert [e.scenario for e in entries] == [None, rule["id"], rule["id"]]
    status, verified = await _admin(mock, "POST", "/verify", json={"operation": "createDocument", "times": 3})
    assert status == 200 and verified["matched"] == 3


async def test_the_clients_verify_raises_with_the_near_miss_report(mock: Mock) -> None:
    """The fixture's client over a real socket: `assert mockserver.verify(...)` can fail."""
    base = str(mock.client.make_url("")).rstrip("/")
    result: dict[str, Any] = {}

    def drive() -> None:
        client = Client(base)
        try:
            client.verify(operation="createDocument", times=1)
        except AssertionError as error:
            result["report"] = str(error)
        try:
            client.scenario("bsale", operation="createDocumnt", status=503)
        except AdminCallFailed as error:
            result["refused"] = str(error)

    await asyncio.to_thread(drive)  # the client blocks: the mock answers on this loop meanwhile
    assert "Expected exactly 1 call(s)" in result["report"] and "The journal is empty." in result["report"]
    assert "400" in result["refused"] and "createDocumnt" in result["refused"]
