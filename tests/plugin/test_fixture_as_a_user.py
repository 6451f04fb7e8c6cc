"""The `mockserver` pytest fixture used the way a user's test suite uses it: sync HTTP, no internals.

These are also the README's examples, one per provider.
"""

from __future__ import annotations

import base64
import time
import uuid

import httpx

from mockserver.core.services.keys import SigningKey, load_signing_key
from mockserver.providers.hacienda import sample
from mockserver.pytest_plugin import MockServerHandle


def test_hacienda_submit_and_poll(mockserver: MockServerHandle) -> None:
    base = mockserver.url("hacienda")
    token = httpx.post(
        f"{base}/auth/realms/rut-stag/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "api-stag", "username": "me", "password": "x"},
    ).json()["access_token"]
    auth = {"Authorization": f"bearer {token}"}
    mockserver.clock.freeze()
    body = sample.body(sample.Sample(), _test_key())
    assert httpx.post(f"{base}/recepcion-sandbox/v1/recepcion", json=body, headers=auth).status_code == 201
    mockserver.clock.advance(5)
    status = httpx.get(f"{base}/recepcion-sandbox/v1/recepcion/{body['clave']}", headers=auth).json()
    assert status["ind-estado"] == "aceptado"
    assert b"<Mensaje>1</Mensaje>" in base64.b64decode(status["respuesta-xml"])
    assert mockserver.verify(provider="hacienda", operation="postRecepcion", times=1)["ok"]


def test_avenio_emission_with_a_forced_rejection(mockserver: MockServerHandle) -> None:
    base = mockserver.url("avenio")
    token = httpx.post(
        f"{base}/api/v1/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-public",
            "client_secret": "sandbox-public-secret",
        },
    ).json()["data"]["accessToken"]
    mockserver.clock.freeze()
    boleta = {
        "rutUsuario": "11111111-1",
        "passwordSII": "x",
        "retencion": "receptor",
        "fechaEmision": "2026-01-10",
        "receptor": {"rut": "22222222-2", "nombre": "C", "direccion": "D", "region": 13, "comuna": 13114},
        "prestaciones": [{"detalle": "Asesoría", "valor": 100000}],
        "callbackUrl": mockserver.inbox_url("bhe"),
    }
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": str(uuid.uuid4()),
        "X-Mock-Scenario": "rejected-by-tax-authority",
    }
    operation = httpx.post(f"{base}/api/v1/bhe/emitir", json=boleta, headers=headers).json()["data"]
    mockserver.clock.advance(5)
    result = httpx.get(operation["statusUrl"], headers={"Authorization": f"Bearer {token}"}).json()["data"]
    assert (result["status"], result["error"]["code"]) == ("failed", "sii_rejected")
    for _ in range(100):  # the webhook is delivered by the server's own loop, right after the clock moved
        if mockserver.inbox("bhe"):
            break
        time.sleep(0.02)
    assert mockserver.inbox("bhe")[0]["body"]["type"] == "bhe.emision.failed"


def test_bsale_factura_and_a_server_error_scenario(mockserver: MockServerHandle) -> None:
    base = mockserver.url("bsale")
    headers = {"access_token": "my-test-token"}
    mockserver.scenario("bsale", operation="createDocument", status=500, times=1)
    factura = {
        "documentTypeId": 8,
        "clientId": 24,
        "details": [{"variantId": 1, "netUnitValue": 23438, "quantity": 1, "taxId": "[1]"}],
    }
    assert httpx.post(f"{base}/v1/documents.json", json=factura, headers=headers).status_code == 500
    created = httpx.post(f"{base}/v1/documents.json", json=factura, headers=headers).json()
    assert (created["netAmount"], created["taxAmount"], created["totalAmount"]) == (23438, 4453, 27891)


def test_tupana_batch_completes_on_the_clock(mockserver: MockServerHandle) -> None:
    base = mockserver.url("tupana") + "/v2"
    headers = {"Authorization": "Api-Key sandbox_plugin"}
    mockserver.clock.freeze()
    httpx.post(f"{base}/credentials/", json={"rut": "76543210-3", "password": "x"}, headers=headers)
    document = {
        "dte_type": {"code": "33"},
        "document_issuer": {"rut": "76543210-3"},
        "document_receiver": {"rut": "76369187-K"},
        "details": [{"item_name": "Servicio", "quantity": 1, "unit_price": 1000}],
    }
    batch = httpx.post(
        f"{base}/documents/batch/",
        json={"documents": [document]},
        headers={**headers, "X-Use-Defaults": "true", "Idempotency-Key": "k1"},
    ).json()
    mockserver.clock.advance(3)
    done = httpx.get(f"{base}/documents/batch/{batch['batch_id']}/", headers=headers).json()
    assert (done["status"], done["documents"][0]["document"]["amount_with_iva"]) == ("completed", 1190)


def test_tuimprenta_manual_lifecycle(mockserver: MockServerHandle) -> None:
    base = mockserver.url("tuimprenta") + "/v1"
    headers = {"Authorization": "Bearer plugin-key"}
    mockserver.lifecycle("tuimprenta", "manual")
    payload = [
        {
            "series": "A",
            "customer": {"name": "X", "tax_id": "J-12345678-4"},
            "items": [{"description": "Item", "qty": 1, "unit_price": 10}],
        }
    ]
    batch = httpx.post(f"{base}/batches", json={"payload": payload}, headers=headers).json()
    assert httpx.get(f"{base}/batches/{batch['id']}", headers=headers).json()["status"] == "queued"
    mockserver.lifecycle("tuimprenta", advance=True)
    mockserver.lifecycle("tuimprenta", advance=True)
    assert httpx.get(f"{base}/batches/{batch['id']}", headers=headers).json()["status"] == "completed"


def test_each_test_starts_clean(mockserver: MockServerHandle) -> None:
    assert mockserver.requests() == []
    assert mockserver.admin("GET", "/scenarios")["rules"] == []
    assert mockserver.clock.now()["frozen"] is False


def _test_key() -> SigningKey:
    """A test signing certificate valid today (the mock rejects expired certificates, as Hacienda does)."""
    return load_signing_key(None, time.time())
