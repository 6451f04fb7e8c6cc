"""Values the control plane takes are checked against its own contract (specs/mockserver/openapi.yaml)
before any handler: a clock cannot be sent where no date can be written, and no control call answers
a 500 (hostile-inputs issue, round two)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Mock
from tests.providers.tuimprenta.conftest import invoice_body

JSON = {"Content-Type": "application/json"}
HOSTILE = ["1e18", "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1e308", "-1", "99999999999999999999"]


@pytest.fixture
async def mock(make_mock: Any) -> Mock:
    result: Mock = await make_mock(providers=("bsale", "tuimprenta", "avenio"))
    return result


async def _still_fine(mock: Mock, before: dict[str, Any]) -> None:
    now = await mock.client.get("/__admin/clock")
    assert now.status == 200 and (await now.json())["speed"] == before["speed"]
    assert abs((await now.json())["epoch"] - before["epoch"]) < 60
    assert (await mock.client.get("/__admin/clocks")).status == 200
    assert (await mock.client.get("/__admin/ui/panels?part=controls")).status == 200
    served = await mock.client.get("/tuimprenta/v1/invoices", headers={"Authorization": "Bearer k"})
    assert served.status == 200


@pytest.mark.parametrize("value", HOSTILE)
async def test_a_clock_value_no_date_can_hold_is_a_400_and_moves_nothing(mock: Mock, value: str) -> None:
    before = await (await mock.client.get("/__admin/clock")).json()
    made = await mock.client.post("/__admin/clocks", json={})
    clock = (await made.json())["id"]
    for path, field in [
        ("/__admin/clock", "advance"), ("/__admin/clock", "speed"), ("/__admin/clock", "set"),
        ("/__admin/clocks", "frozen_time"), (f"/__admin/clocks/{clock}", "advance"),
        (f"/__admin/clocks/{clock}", "speed"), (f"/__admin/clocks/{clock}", "set"),
    ]:  # fmt: skip
        response = await mock.client.post(path, data=f'{{"{field}": {value}}}'.encode(), headers=JSON)
        assert response.status == 400, (path, field, await response.text())
        assert "Traceback" not in (await response.json())["error"]
    await _still_fine(mock, before)


async def test_a_half_valid_clock_change_changes_nothing(mock: Mock) -> None:
    before = await (await mock.client.get("/__admin/clock")).json()
    response = await mock.client.post("/__admin/clock", json={"speed": 5, "advance": 32_000_000_000})
    assert response.status == 400 and "3000" in (await response.json())["error"]
    await _still_fine(mock, before)


async def test_a_date_past_the_year_3000_is_refused_in_words(mock: Mock) -> None:
    response = await mock.client.post("/__admin/clocks", json={"frozen_time": "9999-12-31T23:59:59Z"})
    assert response.status == 400 and "3000-01-01" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/__admin/scenarios", {"provider": "bsale", "delay": 1e9}, "delay must be at most 300"),
        ("/__admin/scenarios", {"provider": "bsale", "status": 500, "path": "a" * 300}, "at most 256"),
        ("/__admin/lifecycle", {"provider": "bsale", "mode": "timed", "seconds": 1e14}, "seconds"),
        ("/__admin/verify", {"times": -1}, "times must be at least 0"),
        ("/__admin/reset", {"tenant": ["x"]}, "tenant must be"),
    ],
)
async def test_a_control_body_is_checked_against_its_contract(
    mock: Mock, path: str, body: dict[str, Any], words: str
) -> None:
    response = await mock.client.post(path, json=body)
    assert response.status == 400 and words in (await response.json())["error"]
    assert (await (await mock.client.get("/__admin/scenarios")).json())["rules"] == []


async def test_control_queries_are_checked_too(mock: Mock) -> None:
    for query in ("status=abc", "limit=-5", "status=99999999999999999999999"):
        response = await mock.client.get(f"/__admin/requests?{query}")
        assert response.status == 400, query
    surrogate = await mock.client.get("/__admin/requests?tenant=%ED%A0%80")
    assert surrogate.status in (200, 400)


async def test_a_lone_surrogate_or_nul_never_reaches_a_handler(mock: Mock) -> None:
    from tests.providers.avenio.conftest import token

    headers = {"Authorization": f"Bearer {await token(mock)}", **JSON, "Idempotency-Key": "k" * 12}
    for text in ('"X\\ud800"', '"\\udc00X"', '"a\\u0000b"'):
        body = (
            '{"rutUsuario": "11111111-1", "passwordSII": "clave", "esClaveUnica": false, "retencion": '
            '"receptor", "fechaEmision": "2026-11-20", "emisor": {"direccion": "Av. Demo 123"}, '
            f'"receptor": {{"rut": "22222222-2", "nombre": {text}, "direccion": "C", "region": 13, '
            '"comuna": 13114}, "prestaciones": [{"detalle": "S", "valor": 500000}]}'
        )
        response = await mock.client.post("/avenio/api/v1/bhe/emitir", data=body.encode(), headers=headers)
        assert response.status == 400 and (await response.json())["success"] is False
    inbox = await mock.client.post("/__admin/inbox/demo", data=b'{"a": "\\ud800"}', headers=JSON)
    assert inbox.status == 200
    read = await mock.client.get("/__admin/inbox/demo")
    assert read.status == 200 and (await read.json())["count"] == 1
    assert (await mock.client.get("/__admin/ui/panels?part=live")).status == 200


@pytest.mark.parametrize("number", ["1e308", "1e15", "-1e300", "123456789012345678901"])
async def test_a_bsale_amount_no_backend_holds_is_a_400_and_its_pdf_never_breaks(
    mock: Mock, number: str
) -> None:
    headers = {"access_token": "t", **JSON}
    for field in ("netUnitValue", "quantity"):
        other = "quantity" if field == "netUnitValue" else "netUnitValue"
        body = f'{{"codeSii": 39, "details": [{{"{field}": {number}, "{other}": 1}}]}}'
        response = await mock.client.post("/bsale/v1/documents.json", data=body.encode(), headers=headers)
        assert response.status == 400 and "error" in await response.json()
    listed = await (await mock.client.get("/bsale/v1/documents.json", headers=headers)).json()
    assert listed["count"] == 0


async def test_a_sandboxs_export_carries_no_secret_of_the_mock(mock: Mock) -> None:
    own = {"X-Mock-Provider": "tuimprenta", "Authorization": "Bearer job-key"}
    await mock.client.post(
        "/tuimprenta/v1/invoices",
        json=invoice_body(),
                           headers={"Authorization": "Bearer job-key"})  # fmt: skip
    mine = await (await mock.client.get("/__admin/state", headers=own)).json()
    assert "seed" not in mine and "secret_salt" not in mine and len(mine["writes"]) == 1
    whole = await (await mock.client.get("/__admin/state")).json()
    assert {"seed", "secret_salt"} <= set(whole)
