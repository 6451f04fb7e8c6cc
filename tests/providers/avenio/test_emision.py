"""Emission: validation, idempotency, the operation's lifecycle, retention, signed downloads, webhooks."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader

from tests.conftest import Mock
from tests.providers.avenio.conftest import Avenio, emision


async def test_emitir_answers_202_with_an_absolute_status_url(avenio: Avenio) -> None:
    response = await avenio.post("emitir", emision(callbackUrl="http://127.0.0.1:9/hook"))
    assert response.status == 202
    body = await response.json()
    data = body["data"]
    assert data["status"] == "pending"
    assert data["callbackRegistered"] is True
    assert data["statusUrl"].startswith("http://127.0.0.1:")
    assert data["statusUrl"].endswith(f"/avenio/api/v1/bhe/operaciones/{data['operationId']}")
    uuid.UUID(data["operationId"])


async def test_operation_moves_pending_processing_completed_on_the_clock(avenio: Avenio) -> None:
    response = await avenio.post("emitir", emision())
    operation_id = (await response.json())["data"]["operationId"]
    assert (await avenio.operation(operation_id))["status"] == "pending"
    await avenio.mock.advance(1)
    assert (await avenio.operation(operation_id))["status"] == "processing"
    await avenio.mock.advance(2)
    op = await avenio.operation(operation_id)
    assert op["status"] == "completed"
    result = op["result"]
    assert (result["folio"], result["bruto"], result["tasaRetencion"]) == (1, 500000, "15.25")
    assert (result["retencion"], result["liquido"], result["retenedor"]) == (76250, 423750, "receptor")
    assert len(result["codigoVerificacion"]) == 12


async def test_folios_are_sequential_per_issuer_rut(avenio: Avenio) -> None:
    folios = [(await avenio.emit())["result"]["folio"] for _ in range(2)]
    other = (await avenio.emit(rutUsuario="76543210-3"))["result"]["folio"]
    assert folios == [1, 2]
    assert other == 1


@pytest.mark.parametrize(
    ("fecha", "valor", "tasa", "retencion"),
    [
        ("2024-12-31", 100000, "13.75", 13750),
        ("2025-01-01", 555555, "14.5", 80555),
        ("2025-12-31", 100000, "14.5", 14500),
        ("2026-01-01", 500000, "15.25", 76250),
        ("2026-12-31", 333333, "15.25", 50833),
        ("2027-01-01", 100000, "16", 16000),
        ("2027-12-31", 100001, "16", 16000),
        ("2028-01-01", 100000, "17", 17000),
    ],
)
async def test_retention_uses_the_rate_of_the_emission_year(
    make_mock: Any, fecha: str, valor: int, tasa: str, retencion: int
) -> None:
    from tests.providers.avenio.conftest import token

    mock = await make_mock(providers=("avenio",), clock_start=1861920000.0)  # 2029-01-01: every date is past
    avenio = Avenio(mock, await token(mock))
    op = await avenio.emit(fechaEmision=fecha, prestaciones=[{"detalle": "x", "valor": valor}])
    assert (op["result"]["tasaRetencion"], op["result"]["retencion"]) == (tasa, retencion)
    assert op["result"]["liquido"] == valor - retencion


async def test_retencion_emisor_records_who_withholds(avenio: Avenio) -> None:
    op = await avenio.emit(retencion="emisor")
    assert op["result"]["retenedor"] == "emisor"


async def test_same_idempotency_key_and_body_replays_the_same_202(avenio: Avenio) -> None:
    key = str(uuid.uuid4())
    first = await avenio.post("emitir", emision(), key=key)
    again = await avenio.post("emitir", emision(), key=key)
    assert first.status == again.status == 202
    assert (await first.json())["data"] == (await again.json())["data"]
    await avenio.mock.advance(5)
    assert len(avenio.mock.runtime.providers["avenio"].state.books["sandbox-public"].boletas) == 1


async def test_same_idempotency_key_with_another_body_is_409(avenio: Avenio) -> None:
    key = str(uuid.uuid4())
    await avenio.post("emitir", emision(), key=key)
    response = await avenio.post("emitir", emision(retencion="emisor"), key=key)
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "idempotency_key_reused"


async def test_idempotency_key_missing_or_not_a_uuid_is_400(avenio: Avenio) -> None:
    response = await avenio.mock.client.post(
        "/avenio/api/v1/bhe/emitir", json=emision(), headers=avenio.headers
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "idempotency_key_missing"
    response = await avenio.post("emitir", emision(), key="not-a-uuid")
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "idempotency_key_invalid"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rutUsuario": "11111111-2"}, "rutUsuario"),
        (
            {
                "receptor": {
                    "rut": "22222222-3",
                    "nombre": "x",
                    "direccion": "y",
                    "region": 13,
                    "comuna": 13114,
                }
            },
            "receptor.rut",
        ),
        ({"retencion": "nadie"}, "retencion"),
        ({"fechaEmision": "2026-02-30"}, "fechaEmision"),
        ({"fechaEmision": "2099-01-01"}, "fechaEmision"),
        ({"prestaciones": [{"detalle": "x", "valor": 0}]}, "prestaciones.0.valor"),
        ({"prestaciones": [{"detalle": "x", "valor": 10.5}]}, "prestaciones.0.valor"),
        ({"prestaciones": []}, "prestaciones"),
        (
            {
                "receptor": {
                    "rut": "22222222-2",
                    "nombre": "x",
                    "direccion": "y",
                    "region": 13,
                    "comuna": 13999,
                }
            },
            "receptor.comuna",
        ),
        (
            {
                "receptor": {
                    "rut": "22222222-2",
                    "nombre": "x",
                    "direccion": "y",
                    "region": 5,
                    "comuna": 13114,
                }
            },
            "receptor.comuna",
        ),
        (
            {
                "receptor": {
                    "rut": "22222222-2",
                    "nombre": "x",
                    "direccion": "y",
                    "region": 17,
                    "comuna": 13114,
                }
            },
            "receptor.region",
        ),
    ],
)
async def test_invalid_bodies_are_422_with_the_field(
    avenio: Avenio, change: dict[str, Any], field: str
) -> None:
    response = await avenio.post("emitir", emision(**change))
    assert response.status == 422, await response.text()
    error = (await response.json())["error"]
    assert error["code"] == "validation_error"
    assert field in [d["field"] for d in error["details"]], error


async def test_region_and_comuna_accept_real_cut_codes(avenio: Avenio) -> None:
    for region, comuna in ((13, 13101), (13, 13120), (16, 16101), (12, 12202), (15, 15101)):
        receptor = {"rut": "22222222-2", "nombre": "x", "direccion": "y", "region": region, "comuna": comuna}
        assert (await avenio.post("emitir", emision(receptor=receptor))).status == 202, comuna


async def test_malformed_json_is_400(avenio: Avenio) -> None:
    response = await avenio.mock.client.post(
        "/avenio/api/v1/bhe/emitir",
        data=b"{oops",
        headers={**avenio.headers, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_password_sii_is_never_echoed_journaled_or_kept(avenio: Avenio) -> None:
    secret = "mi-clave-super-secreta"
    await avenio.post("emitir", emision(passwordSII=secret))
    bad = await avenio.post("emitir", emision(passwordSII=12345678, rutUsuario="1-1"))
    assert "12345678" not in await bad.text()
    await avenio.mock.advance(5)
    journal = await (await avenio.mock.client.get("/__admin/requests")).text()
    assert secret not in journal
    assert "12345678" not in journal
    state = avenio.mock.runtime.providers["avenio"].state
    assert secret not in repr(state.books)


async def test_wrong_sii_password_fails_the_operation(avenio: Avenio) -> None:
    op = await avenio.run("emitir", emision(passwordSII="wrong-password"))
    assert op["status"] == "failed"
    assert op["error"] == {
        "code": "sii_invalid_credentials",
        "message": "SII: RUT o clave incorrectos",
        "retryable": False,
    }
    op = await avenio.run("emitir", emision(passwordSII="wrong-password", esClaveUnica=True))
    assert op["error"]["code"] == "claveunica_invalid_credentials"


async def test_clave_unica_login_emits(avenio: Avenio) -> None:
    assert (await avenio.emit(esClaveUnica=True, passwordSII="clave-unica"))["status"] == "completed"


async def test_magic_receptors_force_rejection_outage_and_slowness(avenio: Avenio) -> None:
    def receptor(rut: str) -> dict[str, Any]:
        return {"rut": rut, "nombre": "x", "direccion": "y", "region": 13, "comuna": 13114}

    rejected = await avenio.run("emitir", emision(receptor=receptor("66666666-6")))
    assert (rejected["status"], rejected["error"]["code"], rejected["error"]["retryable"]) == (
        "failed",
        "sii_rejected",
        False,
    )
    down = await avenio.run("emitir", emision(receptor=receptor("77777777-7")))
    assert (down["error"]["code"], down["error"]["retryable"]) == ("sii_unavailable", True)
    slow = await avenio.run("emitir", emision(receptor=receptor("88888888-8")), seconds=30)
    assert slow["status"] == "processing"
    await avenio.mock.advance(40)
    assert (await avenio.operation(slow["operationId"]))["status"] == "completed"


async def test_unknown_operation_is_404(avenio: Avenio) -> None:
    response = await avenio.mock.client.get("/avenio/api/v1/bhe/operaciones/nope", headers=avenio.headers)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "operation_not_found"


async def test_operations_are_invisible_to_other_clients(avenio: Avenio) -> None:
    from tests.providers.avenio.conftest import token

    op = await avenio.emit()
    other = Avenio(avenio.mock, await token(avenio.mock, ("another-client", "x-secret")))
    response = await avenio.mock.client.get(
        f"/avenio/api/v1/bhe/operaciones/{op['operationId']}", headers=other.headers
    )
    assert response.status == 404


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def test_pdf_and_xml_download_through_signed_links(avenio: Avenio) -> None:
    result = (await avenio.emit())["result"]
    pdf = await avenio.mock.client.get(_path(result["pdfUrl"]))
    assert pdf.status == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(await pdf.read())).pages[0].extract_text()
    assert "BOLETA DE HONORARIOS ELECTRÓNICA" in text
    assert f"N° {result['folio']}" in text
    assert "Las Condes" in text and "$ 76.250" in text and "$ 423.750" in text
    xml = await avenio.mock.client.get(_path(result["xmlUrl"]))
    root = etree.fromstring(await xml.read())
    assert root.findtext("Documento/Encabezado/Folio") == str(result["folio"])
    assert root.findtext("Documento/Encabezado/Totales/MontoRetencion") == "76250"


async def test_signed_links_refuse_tampering_and_expire(avenio: Avenio) -> None:
    result = (await avenio.emit())["result"]
    path = _path(result["pdfUrl"])
    tampered = path.replace("signature=", "signature=0")
    response = await avenio.mock.client.get(tampered)
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "invalid_signature"
    other_doc = path.replace(".pdf?", ".xml?")
    assert (await avenio.mock.client.get(other_doc)).status == 403
    await avenio.mock.advance(901)
    response = await avenio.mock.client.get(path)
    assert response.status == 403
    assert "expired" in (await response.json())["error"]["message"]


async def test_the_quickstart_example_body_is_accepted(mock: Mock) -> None:
    from tests.providers.avenio.conftest import token

    avenio = Avenio(mock, await token(mock, scope="boletas.emit boletas.cancel boletas.read"))
    body = emision(
        fechaEmision="2024-10-20",
        prestaciones=[{"detalle": "Servicio tributario", "valor": 100000}],
        callbackUrl="https://webhook.site/abc",
    )
    op = await avenio.run("emitir", body)
    assert op["result"]["retencion"] == 13750


async def test_signed_links_with_non_ascii_signatures_or_expiry_are_403(avenio: Avenio) -> None:
    # found by fuzzing: comparing a non-ASCII signature raised, and answered 500
    path = _path((await avenio.emit())["result"]["pdfUrl"]).split("?")[0]
    for query in ("expires=9999999999&signature=%C3%B1", "expires=%C2%B2&signature=00"):
        response = await avenio.mock.client.get(f"{path}?{query}")
        assert response.status == 403, query
        assert (await response.json())["error"]["code"] == "invalid_signature"
