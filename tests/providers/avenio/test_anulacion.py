"""Annulment: the SII's timing rules, the receptor's confirmation, and the errors."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mockserver.providers.avenio.state import AvenioState
from tests.providers.avenio.conftest import Avenio, emision


def anulacion(folio: int, **overrides: Any) -> dict[str, Any]:
    body = {
        "rutUsuario": "11111111-1",
        "passwordSII": "clave-sii-prueba",
        "esClaveUnica": False,
        "folio": folio,
        "causa": 1,
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("issued", "today", "mode"),
    [
        (date(2026, 1, 15), date(2026, 1, 31), "anulada"),
        (date(2026, 1, 15), date(2026, 2, 10), "anulada"),
        (date(2026, 1, 15), date(2026, 2, 11), "anulacion_pendiente"),
        (date(2026, 12, 5), date(2027, 1, 10), "anulada"),
        (date(2026, 12, 5), date(2027, 1, 11), "anulacion_pendiente"),
        (date(2026, 1, 15), date(2027, 2, 28), "anulacion_pendiente"),
        (date(2026, 1, 15), date(2027, 3, 1), None),
    ],
)
def test_annulment_timing_follows_the_sii_rules(issued: date, today: date, mode: str | None) -> None:
    assert AvenioState.annulment_mode(issued, today) == mode


async def test_annulment_before_the_11th_voids_at_once(avenio: Avenio) -> None:
    folio = (await avenio.emit(fechaEmision="2026-11-20"))["result"]["folio"]
    op = await avenio.run("anular", anulacion(folio))
    assert op["status"] == "completed"
    assert op["result"] == {"folio": folio, "rutEmisor": "11111111-1", "causa": 1, "estado": "anulada"}
    response = await avenio.post("anular", anulacion(folio))
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "boleta_already_voided"


async def test_late_annulment_waits_for_the_receptor_then_an_admin_call_confirms(avenio: Avenio) -> None:
    folio = (await avenio.emit(fechaEmision="2026-10-01"))["result"]["folio"]
    op = await avenio.run("anular", anulacion(folio, causa=2))
    assert op["result"]["estado"] == "anulacion_pendiente"
    response = await avenio.post("anular", anulacion(folio))
    assert (response.status, (await response.json())["error"]["code"]) == (409, "annulment_pending")
    confirm = await avenio.mock.client.post(
        "/__admin/actions/avenio/confirm-annulment",
        json={"tenant": "sandbox-public", "rutUsuario": "11111111-1", "folio": folio},
    )
    assert confirm.status == 200
    assert (await confirm.json())["estado"] == "anulada"
    assert (await avenio.operation(op["operationId"]))["result"]["estado"] == "anulada"


async def test_late_annulment_is_confirmed_by_timeout_or_rejected(avenio: Avenio) -> None:
    first = (await avenio.emit(fechaEmision="2026-10-01"))["result"]["folio"]
    second = (await avenio.emit(fechaEmision="2026-10-02"))["result"]["folio"]
    op = await avenio.run("anular", anulacion(first))
    reject = await avenio.mock.client.post(
        "/__admin/actions/avenio/reject-annulment",
        json={"tenant": "sandbox-public", "rutUsuario": "11111111-1", "folio": first},
    )
    assert (await reject.json())["estado"] == "vigente"
    op2 = await avenio.run("anular", anulacion(second))
    await avenio.mock.advance(3 * 86400)
    await avenio.refresh()
    assert (await avenio.operation(op2["operationId"]))["result"]["estado"] == "anulada"
    assert (await avenio.operation(op["operationId"]))["result"]["estado"] == "vigente"


async def test_annulment_after_the_1st_of_march_of_next_year_is_refused(make_mock: Any) -> None:
    from tests.providers.avenio.conftest import token

    mock = await make_mock(providers=("avenio",), clock_start=1804204800.0)  # 2027-03-05
    avenio = Avenio(mock, await token(mock))
    folio = (await avenio.emit(fechaEmision="2026-06-01"))["result"]["folio"]
    response = await avenio.post("anular", anulacion(folio))
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "annulment_period_expired"


async def test_unknown_or_other_issuers_folio_is_404(avenio: Avenio) -> None:
    folio = (await avenio.emit())["result"]["folio"]
    for body in (anulacion(999), anulacion(folio, rutUsuario="76543210-3")):
        response = await avenio.post("anular", body)
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "folio_not_found"


async def test_invalid_causa_is_422(avenio: Avenio) -> None:
    response = await avenio.post("anular", anulacion(1, causa=4))
    assert response.status == 422


async def test_annulment_with_a_wrong_password_fails_and_keeps_the_boleta(avenio: Avenio) -> None:
    folio = (await avenio.emit())["result"]["folio"]
    op = await avenio.run("anular", anulacion(folio, passwordSII="wrong-password"))
    assert op["status"] == "failed"
    assert (await avenio.run("anular", anulacion(folio)))["result"]["estado"] == "anulada"


async def test_anular_needs_the_cancel_scope(avenio: Avenio) -> None:
    from tests.providers.avenio.conftest import token

    emitter = Avenio(avenio.mock, await token(avenio.mock, ("bhe-emitter", "bhe-emitter-secret")))
    response = await emitter.post("anular", anulacion(1))
    assert response.status == 403


async def test_quickstart_reuses_one_key_for_emitir_and_anular(avenio: Avenio) -> None:
    key = "8e8a7d12-4d1e-4b10-bc90-5b4413422222"
    assert (await avenio.post("emitir", emision(), key=key)).status == 202
    await avenio.mock.advance(5)
    assert (await avenio.post("anular", anulacion(1), key=key)).status == 202


async def test_admin_action_errors_are_400(avenio: Avenio) -> None:
    response = await avenio.mock.client.post(
        "/__admin/actions/avenio/confirm-annulment",
        json={"tenant": "sandbox-public", "rutUsuario": "11111111-1", "folio": 5},
    )
    assert response.status == 400
    response = await avenio.mock.client.post("/__admin/actions/avenio/nothing", json={})
    assert response.status == 400
