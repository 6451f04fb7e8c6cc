"""POST/GET /recepcion: intake, lifecycle on the clock, MensajeHacienda, forced outcomes, callbacks."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from lxml import etree

from mockserver.providers.hacienda import sample
from mockserver.providers.hacienda.documents import verify_signature
from tests.providers.hacienda.conftest import API, Hacienda, login

MH = "{https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/mensajeHacienda}"


async def test_post_recepcion_returns_201_with_absolute_location_and_rate_limit_headers(
    hacienda: Hacienda,
) -> None:
    s = sample.Sample()
    response = await hacienda.post(hacienda.body(s))
    assert response.status == 201
    assert await response.read() == b""
    location = response.headers["Location"]
    assert location.startswith("http://127.0.0.1:")
    assert location.endswith(f"/hacienda/recepcion-sandbox/v1/recepcion/{s.clave}/")
    for header in ("X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"):
        assert response.headers[header].isdigit()


async def test_location_header_can_be_fetched_literally(hacienda: Hacienda) -> None:
    s = sample.Sample()
    response = await hacienda.post(hacienda.body(s))
    path = response.headers["Location"].split(":", 2)[2].split("/", 1)[1]
    got = await hacienda.mock.client.get("/" + path, headers=hacienda.headers)
    assert got.status == 200
    assert (await got.json())["clave"] == s.clave


async def test_lifecycle_moves_recibido_procesando_aceptado_on_the_clock(hacienda: Hacienda) -> None:
    clave = await hacienda.submit(sample.Sample())
    first = await hacienda.status(clave)
    assert first["ind-estado"] == "recibido"
    assert "respuesta-xml" not in first
    await hacienda.mock.advance(1)
    assert (await hacienda.status(clave))["ind-estado"] == "procesando"
    await hacienda.mock.advance(2)
    final = await hacienda.status(clave)
    assert final["ind-estado"] == "aceptado"
    assert final["fecha"] == "2026-11-21T10:30:00-06:00"


async def test_respuesta_xml_is_a_signed_mensaje_hacienda_with_the_comprobante_totals(
    hacienda: Hacienda,
) -> None:
    s = sample.Sample(total="22600.00000", impuesto="2600.00000")
    clave = await hacienda.submit(s)
    await hacienda.mock.advance(5)
    root = etree.fromstring(await hacienda.respuesta(clave))
    assert root.tag == f"{MH}MensajeHacienda"
    names = [etree.QName(child).localname for child in root]
    assert names == [
        "Clave",
        "NombreEmisor",
        "TipoIdentificacionEmisor",
        "NumeroCedulaEmisor",
        "NombreReceptor",
        "TipoIdentificacionReceptor",
        "NumeroCedulaReceptor",
        "Mensaje",
        "DetalleMensaje",
        "MontoTotalImpuesto",
        "TotalFactura",
        "Signature",
    ]
    assert root.findtext(f"{MH}Clave") == clave
    assert root.findtext(f"{MH}NombreEmisor") == "Razón Social S.A."
    assert root.findtext(f"{MH}Mensaje") == "1"
    assert root.findtext(f"{MH}DetalleMensaje", "").startswith(
        "Este comprobante fue aceptado en el ambiente de pruebas"
    )
    assert root.findtext(f"{MH}MontoTotalImpuesto") == "2600.00000"
    assert root.findtext(f"{MH}TotalFactura") == "22600.00000"
    valid, problem = verify_signature(root, hacienda.mock.runtime.clock.utcnow())
    assert valid, problem


async def test_a_bad_signature_is_accepted_then_rechazado_with_the_real_detail(hacienda: Hacienda) -> None:
    s = sample.Sample()
    xml = sample.sign(sample.unsigned_xml(s), hacienda.mock.runtime.keys)
    tampered = xml.replace(b"Servicio de desarrollo", b"Servicio de DESARROLLO")
    response = await hacienda.post(hacienda.body(s, xml=tampered))
    assert response.status == 201
    await hacienda.mock.advance(5)
    status = await hacienda.status(s.clave)
    assert status["ind-estado"] == "rechazado"
    root = etree.fromstring(base64.b64decode(status["respuesta-xml"]))
    assert root.findtext(f"{MH}Mensaje") == "3"
    detail = root.findtext(f"{MH}DetalleMensaje", "")
    assert detail.startswith("Este comprobante fue aceptado en el ambiente de pruebas")
    assert (
        "El comprobante electrónico tiene los siguientes errores:\n\n[\ncodigo, mensaje, fila, columna\n"
        in detail
    )
    assert '-1, "La firma del comprobante electrónico no es válida", 0, 0' in detail


async def test_an_unsigned_document_is_rechazado(hacienda: Hacienda) -> None:
    s = sample.Sample()
    unsigned = etree.tostring(sample.unsigned_xml(s), xml_declaration=True, encoding="UTF-8")
    await hacienda.post(hacienda.body(s, xml=unsigned))
    await hacienda.mock.advance(5)
    assert b"La firma del comprobante" in await hacienda.respuesta(s.clave)


async def test_a_document_whose_type_differs_from_the_clave_is_rechazado(hacienda: Hacienda) -> None:
    s = sample.Sample(tipo="01")
    wrong = sample.Sample(tipo="04", numero=s.numero)
    root = sample.unsigned_xml(wrong)
    root.find("{*}Clave").text = s.clave  # type: ignore[union-attr]
    root.find("{*}NumeroConsecutivo").text = s.consecutivo  # type: ignore[union-attr]
    await hacienda.post(hacienda.body(s, xml=sample.sign(root, hacienda.mock.runtime.keys)))
    await hacienda.mock.advance(5)
    detail = (await hacienda.respuesta(s.clave)).decode()
    assert '-1, "El tipo de documento no corresponde.", 0, 0' in detail


async def test_xml_clave_that_differs_from_the_json_clave_is_rechazado(hacienda: Hacienda) -> None:
    s = sample.Sample(numero=5)
    other = sample.Sample(numero=6)
    body = hacienda.body(s, xml=sample.sign(sample.unsigned_xml(other), hacienda.mock.runtime.keys))
    await hacienda.post(body)
    await hacienda.mock.advance(5)
    assert "La clave del comprobante no corresponde" in (await hacienda.respuesta(s.clave)).decode()


async def test_security_code_00000003_forces_rechazado(hacienda: Hacienda) -> None:
    clave = await hacienda.submit(sample.Sample(security_code="00000003"))
    await hacienda.mock.advance(5)
    status = await hacienda.status(clave)
    assert status["ind-estado"] == "rechazado"
    assert b"<Mensaje>3</Mensaje>" in base64.b64decode(status["respuesta-xml"])


async def test_security_code_00000005_stays_procesando(hacienda: Hacienda) -> None:
    from tests.providers.hacienda.conftest import login

    clave = await hacienda.submit(sample.Sample(security_code="00000005"))
    await hacienda.mock.advance(3600)
    later = Hacienda(hacienda.mock, (await login(hacienda.mock))["access_token"])  # the first token expired
    assert (await later.status(clave))["ind-estado"] == "procesando"


async def test_security_code_00000009_ends_in_error_without_respuesta(hacienda: Hacienda) -> None:
    clave = await hacienda.submit(sample.Sample(security_code="00000009"))
    await hacienda.mock.advance(5)
    status = await hacienda.status(clave)
    assert status["ind-estado"] == "error"
    assert "respuesta-xml" not in status


async def test_duplicate_clave_returns_400_with_the_exact_error_cause(hacienda: Hacienda) -> None:
    s = sample.Sample()
    await hacienda.submit(s)
    response = await hacienda.post(hacienda.body(s))
    assert response.status == 400
    assert response.headers["X-Error-Cause"] == f"El comprobante [{s.clave}] ya fue recibido anteriormente."
    assert response.headers["validation-exception"] == "false"


async def test_schema_violation_returns_400_with_validation_exception(hacienda: Hacienda) -> None:
    body = hacienda.body(sample.Sample())
    del body["emisor"]
    response = await hacienda.post(body)
    assert response.status == 400
    assert response.headers["validation-exception"] == "true"
    assert "emisor" in response.headers["X-Error-Cause"]
    assert await response.read() == b""


async def test_clave_over_50_characters_is_a_schema_violation(hacienda: Hacienda) -> None:
    body = hacienda.body(sample.Sample())
    body["clave"] += "1"
    response = await hacienda.post(body)
    assert response.status == 400
    assert response.headers["validation-exception"] == "true"


async def test_malformed_clave_structures_return_400(hacienda: Hacienda) -> None:
    good = sample.Sample().clave
    cases = {
        "507" + good[3:]: "506",
        good[:3] + "321326" + good[9:]: "fecha",
        good[:41] + "7" + good[42:]: "situación",
        good[:29] + "99" + good[31:]: "tipo de comprobante",
        good[:10] + "x" + good[11:]: "50 dígitos",
    }
    for clave, expected in cases.items():
        body = hacienda.body(sample.Sample())
        body["clave"] = clave
        response = await hacienda.post(body)
        assert response.status == 400, clave
        assert expected in response.headers["X-Error-Cause"], (clave, response.headers["X-Error-Cause"])


async def test_emisor_that_differs_from_the_clave_returns_400(hacienda: Hacienda) -> None:
    body = hacienda.body(sample.Sample())
    body["emisor"]["numeroIdentificacion"] = "3101999999"
    response = await hacienda.post(body)
    assert response.status == 400
    assert "no corresponde con la de la clave" in response.headers["X-Error-Cause"]


async def test_comprobante_xml_that_is_not_base64_or_not_xml_returns_400(hacienda: Hacienda) -> None:
    body = hacienda.body(sample.Sample())
    body["comprobanteXml"] = "esto no es base64!!"
    response = await hacienda.post(body)
    assert response.status == 400
    assert "Base64" in response.headers["X-Error-Cause"]
    body["comprobanteXml"] = base64.b64encode(b"<FacturaElectronica><Clave>").decode()
    response = await hacienda.post(body)
    assert response.status == 400
    assert "XML bien formado" in response.headers["X-Error-Cause"]


async def test_xml_external_entities_are_never_resolved(hacienda: Hacienda) -> None:
    s = sample.Sample()
    xml = sample.sign(sample.unsigned_xml(s), hacienda.mock.runtime.keys).decode()
    evil = xml.replace(
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        1,
    )
    evil = evil.replace("María Rodríguez Mora", "&e;")
    response = await hacienda.post(hacienda.body(s, xml=evil.encode()))
    assert response.status in (201, 400)
    if response.status == 201:
        await hacienda.mock.advance(5)
        assert b"root:" not in await hacienda.respuesta(s.clave)


async def test_fecha_is_parsed_leniently(hacienda: Hacienda) -> None:
    shapes = [
        "2025-07-27T10:30:00-06:00",
        "2026-11-21T01:23:45.123Z",
        "2018-01-31T11:53:54-0400",
        "2026-11-21T10:30:00",
    ]
    for number, fecha in enumerate(shapes, start=1):
        body = hacienda.body(sample.Sample(numero=number))
        body["fecha"] = fecha
        response = await hacienda.post(body)
        assert response.status == 201, (fecha, response.headers.get("X-Error-Cause"))
    body = hacienda.body(sample.Sample(numero=99))
    body["fecha"] = "21/11/2026"
    assert (await hacienda.post(body)).status == 400


async def test_unknown_clave_returns_404_with_error_cause(hacienda: Hacienda) -> None:
    clave = sample.Sample(numero=424242).clave
    response = await hacienda.mock.client.get(f"{API}/recepcion/{clave}", headers=hacienda.headers)
    assert response.status == 404
    assert response.headers["X-Error-Cause"] == f"No existe el recurso con Clave = [{clave}]"


async def test_trailing_slashes_and_both_base_paths_are_served(hacienda: Hacienda) -> None:
    s = sample.Sample()
    production = {"Authorization": f"bearer {(await login(hacienda.mock, realm='rut'))['access_token']}"}
    response = await hacienda.mock.client.post(
        "/hacienda/recepcion/v1/recepcion/", json=hacienda.body(s), headers=production
    )
    assert response.status == 201
    assert "/hacienda/recepcion/v1/recepcion/" in response.headers["Location"]
    assert (
        await hacienda.mock.client.get(f"/hacienda/recepcion/v1/recepcion/{s.clave}/", headers=production)
    ).status == 200
    staged = sample.Sample(numero=7)
    assert (await hacienda.post(hacienda.body(staged))).status == 201
    assert (
        await hacienda.mock.client.get(f"{API}/recepcion/{staged.clave}/", headers=hacienda.headers)
    ).status == 200


@pytest.mark.parametrize(
    ("realm", "path", "host"),
    [
        ("rut-stag", "/recepcion/v1/recepcion", "api.comprobanteselectronicos.go.cr"),
        ("rut", "/hacienda/recepcion-sandbox/v1/recepcion", None),
        ("rut", "/recepcion-sandbox/v1/recepcion", "api.comprobanteselectronicos.go.cr"),
        ("rut", "/recepcion/v1/recepcion", "api-sandbox.comprobanteselectronicos.go.cr"),
    ],
)
async def test_a_token_of_one_environment_is_refused_on_the_other(
    hacienda: Hacienda, realm: str, path: str, host: str | None
) -> None:
    token = (await login(hacienda.mock, realm=realm))["access_token"]
    headers = {"Authorization": f"bearer {token}"} | ({"Host": host} if host else {})
    response = await hacienda.mock.client.post(path, json=hacienda.body(sample.Sample()), headers=headers)
    assert response.status == 401  # recepción's 401 carries only WWW-Authenticate


async def test_mensaje_receptor_is_looked_up_as_clave_dash_consecutivo(hacienda: Hacienda) -> None:
    factura = sample.Sample()
    await hacienda.submit(factura)
    consecutivo = "00100001050000000001"
    ns = "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/mensajeReceptor"
    root = etree.Element(f"{{{ns}}}MensajeReceptor", nsmap={None: ns})
    for name, value in (
        ("Clave", factura.clave),
        ("NumeroCedulaEmisor", factura.emisor_numero),
        ("FechaEmisionDoc", factura.fecha.isoformat()),
        ("Mensaje", "1"),
        ("MontoTotalImpuesto", factura.impuesto),
        ("TotalFactura", factura.total),
        ("NumeroCedulaReceptor", "109560664"),
        ("NumeroConsecutivoReceptor", consecutivo),
    ):
        etree.SubElement(root, f"{{{ns}}}{name}").text = value
    body: dict[str, Any] = hacienda.body(factura, xml=sample.sign(root, hacienda.mock.runtime.keys))
    body["consecutivoReceptor"] = consecutivo
    response = await hacienda.post(body)
    assert response.status == 201, response.headers.get("X-Error-Cause")
    key = f"{factura.clave}-{consecutivo}"
    assert response.headers["Location"].endswith(f"/recepcion/{key}/")
    await hacienda.mock.advance(5)
    status = await hacienda.status(key)
    assert status["clave"] == key
    assert status["ind-estado"] == "aceptado"
    assert (await hacienda.post(body)).status == 400  # the same mensaje twice is a duplicate


async def test_accept_status_switch_answers_202_like_the_live_service(make_mock: Any) -> None:
    from tests.providers.hacienda.conftest import login

    mock = await make_mock(
        provider_options={
            "hacienda": {
                "accept_status": 202,
                "access_token_ttl": 300,
                "refresh_token_ttl": 1800,
                "processing_delay": 1.0,
                "decision_delay": 2.0,
            }
        }
    )
    tokens = await login(mock)
    h = Hacienda(mock, tokens["access_token"])
    response = await h.post(h.body(sample.Sample()))
    assert response.status == 202
    assert "Location" in response.headers


async def test_callback_receives_the_get_body_when_final(hacienda: Hacienda, aiohttp_server: Any) -> None:
    from aiohttp import web

    received: list[dict[str, Any]] = []

    async def receiver(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", receiver)
    server = await aiohttp_server(app)
    s = sample.Sample()
    await hacienda.submit(s, callback_url=str(server.make_url("/hook")))
    await hacienda.mock.advance(5)
    await hacienda.mock.settle_webhooks()
    assert len(received) == 1
    assert received[0] == await hacienda.status(s.clave)
    assert received[0]["ind-estado"] == "aceptado"


async def test_control_characters_in_the_clave_are_escaped_in_x_error_cause(hacienda: Hacienda) -> None:
    # found by fuzzing: echoing them raw made aiohttp drop the connection without an answer
    response = await hacienda.mock.client.get(f"{API}/recepcion/%1B", headers=hacienda.headers)
    assert response.status in (400, 404)
    assert "\\x1b" in response.headers["X-Error-Cause"]


async def test_fecha_comes_back_exactly_as_it_was_sent(hacienda: Hacienda) -> None:
    """The seed writes `yyyy-MM-dd'T'HH:mm:ssZ` (`-0600`); a client comparing what it sent must match."""
    s = sample.Sample(numero=77)
    payload = {**hacienda.body(s), "fecha": "2026-11-21T10:30:00-0600"}
    response = await hacienda.post(payload)
    assert response.status == 201, response.headers.get("X-Error-Cause")
    assert (await hacienda.status(s.clave))["fecha"] == "2026-11-21T10:30:00-0600"


@pytest.mark.parametrize("realm", ["rut-stag", "rut"])
async def test_the_mounts_recepcion_v1_takes_either_environment(hacienda: Hacienda, realm: str) -> None:
    """`/recepcion/v1` is production's path and the newer sandbox host's: a client whose base URL was
    swapped for the mock's keeps working whichever it was written for."""
    token = (await login(hacienda.mock, username=f"{realm}-user@x.cr", realm=realm))["access_token"]
    response = await hacienda.mock.client.post(
        "/hacienda/recepcion/v1/recepcion",
        json=hacienda.body(sample.Sample(numero=90 + len(realm))),
        headers={"Authorization": f"bearer {token}"},
    )
    assert response.status in (201, 202), response.headers.get("X-Error-Cause")
