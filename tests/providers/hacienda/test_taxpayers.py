"""The public taxpayer lookup clients call before they emit: made-up taxpayers, the same every time,
magic numbers for "not found" and "inactive", on the mount and on its own host."""

from __future__ import annotations

import pytest

from tests.conftest import Mock


@pytest.fixture
async def mock(make_mock: object) -> Mock:
    result: Mock = await make_mock(providers=("hacienda",))  # type: ignore[operator]
    return result


async def test_a_taxpayer_is_made_up_the_same_every_time_and_typed_by_its_number(mock: Mock) -> None:
    first = await (await mock.client.get("/hacienda/fe/ae?identificacion=3101123456")).json()
    again = await (await mock.client.get("/hacienda/fe/ae", params={"identificacion": "3101123456"})).json()
    assert first == again
    assert (first["nombre"], first["tipoIdentificacion"]) == (
        "RAZÓN SOCIAL S.A.",
        "02",
    )  # the samples' emisor
    assert first["situacion"] == {**first["situacion"], "moroso": "NO", "omiso": "NO", "estado": "Inscrito"}
    assert first["actividades"][0]["estado"] == "A" and first["actividades"][0]["tipo"] == "P"
    for number, kind in (("109560664", "01"), ("155812345678", "03"), ("4000042147", "04")):
        found = await (await mock.client.get(f"/hacienda/fe/ae?identificacion={number}")).json()
        assert found["tipoIdentificacion"] == kind
    # no token needed, and its own host serves it too
    on_host = await mock.client.get(
        "/fe/ae?identificacion=3101123456", headers={"Host": "api.hacienda.go.cr"}
    )
    assert on_host.status == 200 and await on_host.json() == first


async def test_magic_numbers_are_not_found_and_inactive_and_a_bad_number_is_400(mock: Mock) -> None:
    missing = await mock.client.get("/hacienda/fe/ae?identificacion=999999999")
    assert missing.status == 404
    assert (await missing.json())["status"] == "NOT_FOUND"
    inactive = await (await mock.client.get("/hacienda/fe/ae?identificacion=888888888")).json()
    assert inactive["situacion"]["estado"] == "Inactivo"
    assert {a["estado"] for a in inactive["actividades"]} == {"I"}
    for bad in ("12-34", "123", "0123456789012"):
        response = await mock.client.get("/hacienda/fe/ae", params={"identificacion": bad})
        assert response.status == 400 and (await response.json())["code"] == 400
    response = await mock.client.get("/hacienda/fe/ae")
    assert (response.status, (await response.json())["message"]) == (
        400,
        "El campo identificacion es requerido",
    )
