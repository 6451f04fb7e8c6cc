"""Each time-dependent behaviour follows an attached test clock, one test each: token expiry (Hacienda's
Keycloak, Avenio's OAuth), download-link expiry, rate-limit windows, fechaEmision and the annulment
calendar. Beside each, a sandbox on the mock's clock shows the mock's time did not move."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Mock, MockFactory
from tests.providers.avenio.conftest import API as AVENIO
from tests.providers.avenio.conftest import CLIENT, Avenio, emision, token
from tests.providers.hacienda.conftest import API as HACIENDA
from tests.providers.hacienda.conftest import USER, login
from tests.providers.tuimprenta.conftest import KEY, Tuimprenta

OTHER_USER = "cpj-3-101-654321@stag.comprobanteselectronicos.go.cr"
EMITTER = ("bhe-emitter", "bhe-emitter-secret")
ALL_SCOPES = "boletas.emit boletas.cancel boletas.read"


async def _clock(mock: Mock, provider: str, tenant: str, **body: Any) -> str:
    sandboxes = [{"provider": provider, "tenant": tenant}]
    response = await mock.client.post("/__admin/clocks", json={**body, "sandboxes": sandboxes})
    assert response.status == 201, await response.text()
    return str((await response.json())["id"])


async def _advance(mock: Mock, clock: str, seconds: float) -> None:
    response = await mock.client.post(f"/__admin/clocks/{clock}", json={"advance": seconds})
    assert response.status == 200, await response.text()


async def _recepcion_status(mock: Mock, access_token: str) -> int:
    headers = {"Authorization": f"bearer {access_token}"}
    return (await mock.client.get(f"{HACIENDA}/recepcion/50601", headers=headers)).status


async def test_a_hacienda_token_expires_on_its_users_test_clock(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("hacienda",))
    clock = await _clock(mock, "hacienda", f"rut-stag/{USER}", frozen_time="2030-01-01T00:00:00Z")
    mine, theirs = (await login(mock))["access_token"], (await login(mock, OTHER_USER))["access_token"]
    assert await _recepcion_status(mock, mine) == 404  # a live token: the comprobante is unknown
    await _advance(mock, clock, 301)  # past expires_in (300) on the user's clock only
    assert await _recepcion_status(mock, mine) == 401
    assert await _recepcion_status(mock, theirs) == 404  # the mock's clock never moved
    fresh = await login(mock)  # issued on the user's clock: good for another 300 seconds of it
    assert await _recepcion_status(mock, fresh["access_token"]) == 404


async def test_an_avenio_token_expires_on_its_clients_test_clock(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("avenio",))
    clock = await _clock(mock, "avenio", CLIENT[0])
    mine, theirs = await token(mock), await token(mock, EMITTER)
    await _advance(mock, clock, 3601)  # past expiresIn
    expired = await mock.client.get(f"{AVENIO}/operaciones/none", headers={"Authorization": f"Bearer {mine}"})
    assert expired.status == 401
    assert (await expired.json())["error"]["message"] == "The access token has expired"
    live = await mock.client.get(f"{AVENIO}/operaciones/none", headers={"Authorization": f"Bearer {theirs}"})
    assert live.status == 404


async def _emit(avenio: Avenio, clock: str, **overrides: Any) -> dict[str, Any]:
    """An emission run to its end on the client's clock (the mock's does not move)."""
    response = await avenio.post("emitir", emision(**overrides))
    assert response.status == 202, await response.text()
    await _advance(avenio.mock, clock, 5)
    return await avenio.operation((await response.json())["data"]["operationId"])


async def test_a_download_link_expires_on_its_owners_test_clock(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("avenio",))
    clock = await _clock(mock, "avenio", CLIENT[0])
    avenio = Avenio(mock, await token(mock, scope=ALL_SCOPES))
    result = (await _emit(avenio, clock))["result"]
    link = "/" + result["pdfUrl"].split("/", 3)[3]
    assert (await mock.client.get(link)).status == 200
    await mock.advance(3600)  # an hour on the mock's clock: the link lives on its owner's
    assert (await mock.client.get(link)).status == 200
    await _advance(mock, clock, 901)
    response = await mock.client.get(link)
    assert response.status == 403
    assert (await response.json())["error"]["message"] == "The link has expired"


async def test_a_rate_limit_window_restarts_on_the_sandboxs_clock(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",), rate_limits={"tuimprenta": 0.05})  # 3 a minute
    clock = await _clock(mock, "tuimprenta", KEY, frozen_time="2030-01-01T00:00:30Z")
    mine, theirs = Tuimprenta(mock), Tuimprenta(mock, "ti_test_another_ci_job_000000000001")
    for ti in (mine, theirs):
        for _ in range(3):
            assert (await ti.call("GET", "/invoices")).status == 200
        assert (await ti.call("GET", "/invoices")).status == 429
    spent = await mine.call("GET", "/invoices")
    assert spent.headers["X-RateLimit-Reset"] == "1893456060"  # 2030-01-01T00:01:00Z, on its clock
    assert spent.headers["Retry-After"] == "30"
    await _advance(mock, clock, 30)  # its window restarts; the mock's never moved
    assert (await mine.call("GET", "/invoices")).status == 200
    assert (await theirs.call("GET", "/invoices")).status == 429


async def test_fecha_emision_is_judged_on_the_sandboxs_day(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("avenio",))
    clock = await _clock(mock, "avenio", CLIENT[0], frozen_time="2030-06-01T15:00:00Z")
    mine = Avenio(mock, await token(mock, scope=ALL_SCOPES))
    assert (await _emit(mine, clock, fechaEmision="2030-06-01"))["status"] == "completed"
    theirs = Avenio(mock, await token(mock, EMITTER))
    refused = await theirs.post("emitir", emision(fechaEmision="2030-06-01"))  # on the mock's 2026
    assert refused.status == 422
    assert "fechaEmision cannot be later than today" in await refused.text()


async def test_the_annulment_calendar_reads_the_sandboxs_day(make_mock: MockFactory) -> None:
    """Voided at once until the 10th of the next month; after it, the receptor must confirm."""
    mock: Mock = await make_mock(providers=("avenio",))
    clock = await _clock(mock, "avenio", CLIENT[0], frozen_time="2026-11-21T16:30:00Z")
    avenio = Avenio(mock, await token(mock, scope=ALL_SCOPES))
    folio = (await _emit(avenio, clock))["result"]["folio"]
    await _advance(mock, clock, 30 * 86400)  # 21 December: the 10th of the next month has passed
    await avenio.refresh()
    body = {"rutUsuario": "11111111-1", "passwordSII": "clave", "folio": folio, "causa": 1}
    response = await avenio.post("anular", body, key=str(uuid.uuid4()))
    assert response.status == 202, await response.text()
    await _advance(mock, clock, 5)
    voided = await avenio.operation((await response.json())["data"]["operationId"])
    assert voided["result"]["estado"] == "anulacion_pendiente"
