"""Triggered events: every type each provider's spec documents can be sent on demand, about a made-up
entity or an existing one; the receiver gets a body its spec's schema takes, with the headers it
documents, and a signature that verifies with the provider's own scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from lxml import etree

from mockserver.providers.hacienda import sample
from mockserver.providers.hacienda.documents import verify_signature
from mockserver.providers.tupana.entities import entity_id
from tests.conftest import Mock, MockFactory, Received, receiver
from tests.providers.avenio.conftest import CLIENT, Avenio, token
from tests.providers.bsale.conftest import TOKEN as BSALE_TOKEN
from tests.providers.bsale.conftest import Bsale, boleta
from tests.providers.hacienda.conftest import USER, Hacienda, login
from tests.providers.tuimprenta.conftest import KEY as TI_KEY
from tests.providers.tuimprenta.conftest import Tuimprenta
from tests.providers.tupana.conftest import ISSUER, Tupana
from tests.providers.tupana.conftest import KEY as TUPANA_KEY

SECRET = "whsec_receiver_secret_1234"


async def _trigger(mock: Mock, status: int = 202, **body: Any) -> dict[str, Any]:
    response = await mock.client.post("/__admin/events", json=body)
    assert response.status == status, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


def _check_against_spec(mock: Mock, provider: str, kind: str, body: bytes, headers: Any) -> Any:
    hook = mock.runtime.providers[provider].spec.webhooks[kind]
    payload = json.loads(body)
    problems = [e.message for e in hook.body.iter_errors(payload)]
    assert problems == [], (kind, problems)
    params = mock.runtime.providers[provider].spec.document["webhooks"][kind]["post"].get("parameters", [])
    for name in (p["name"] for p in params if p.get("required")):
        assert name in headers, (kind, name)
    return payload


async def _every_type(
    mock: Mock,
    provider: str,
    tenant: str,
    got: Received,
    verify: Callable[[str, bytes, Any], None],
    *,
    url: str | None = None,
    entities: dict[str, str] | None = None,
) -> None:
    """Trigger each type of the catalogue, about a made-up entity and (where one is named) an existing one;
    `url` is given to the trigger when the sandbox has no receiver of its own."""
    listed = await (await mock.client.get(f"/__admin/events?provider={provider}")).json()
    types = [e["type"] for e in listed["events"]]
    assert types == list(mock.runtime.providers[provider].spec.webhooks)
    for kind in types:
        for about in (None, *([entities[kind]] if entities and kind in entities else [])):
            await mock.settle_webhooks()  # what the set-up sent is not this event
            got.clear()
            body = {"provider": provider, "tenant": tenant, "type": kind} | ({"url": url} if url else {})
            answer = await _trigger(mock, **body, **({"entity": about} if about else {}))
            assert [d["event"] for d in answer["deliveries"]] == [kind]
            await mock.settle_webhooks()
            assert len(got) == 1, (kind, about)
            raw, headers = got[0]
            _check_against_spec(mock, provider, kind, raw, headers)
            verify(kind, raw, headers)


async def test_every_hacienda_callback_can_be_triggered_and_verifies(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("hacienda",))
    url, got = await receiver(aiohttp_server)
    hacienda = Hacienda(mock, (await login(mock))["access_token"])
    clave = await hacienda.submit(sample.Sample())

    def verify(kind: str, raw: bytes, headers: Any) -> None:
        status = json.loads(raw)
        assert status["ind-estado"] == kind.removeprefix("recepcion.")
        if kind == "recepcion.error":
            assert "respuesta-xml" not in status
            return
        root = etree.fromstring(base64.b64decode(status["respuesta-xml"]))  # the Ministry's signed answer
        assert root.findtext("{*}Clave") == status["clave"]
        assert root.findtext("{*}Mensaje") == ("1" if kind == "recepcion.aceptado" else "3")
        valid, problem = verify_signature(root, mock.runtime.clock.utcnow())
        assert valid, problem

    entities = {k: clave for k in ("recepcion.aceptado", "recepcion.rechazado", "recepcion.error")}
    await _every_type(mock, "hacienda", f"rut-stag/{USER}", got, verify, url=url, entities=entities)


async def test_every_tuimprenta_event_can_be_triggered_and_verifies(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    url, got = await receiver(aiohttp_server)
    endpoint = {"tenant": TI_KEY, "url": url}
    shown = await (await mock.client.post("/__admin/actions/tuimprenta/webhooks", json=endpoint)).json()
    got.clear()
    invoice = await Tuimprenta(mock).invoice()

    def verify(kind: str, raw: bytes, headers: Any) -> None:
        expected = "sha256=" + hmac.new(shown["secret"].encode(), raw, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Tuimprenta-Signature"], expected)
        event = json.loads(raw)
        inner = event.pop("signature")
        compact = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        assert inner == "sha256=" + hmac.new(shown["secret"].encode(), compact, hashlib.sha256).hexdigest()
        assert headers["X-Tuimprenta-Event"] == event["type"] == kind

    entities = {"invoice.issued": invoice["id"], "invoice.canceled": invoice["id"]}
    await _every_type(mock, "tuimprenta", TI_KEY, got, verify, entities=entities)


async def test_every_avenio_event_can_be_triggered_and_verifies(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("avenio",))
    url, got = await receiver(aiohttp_server)
    avenio = Avenio(mock, await token(mock, scope="boletas.emit boletas.cancel boletas.read"))
    emitted = await avenio.emit()

    def verify(kind: str, raw: bytes, headers: Any) -> None:
        fields = dict(part.split("=", 1) for part in headers["X-Avenio-Signature"].split(","))
        signed = f"{fields['t']}.".encode() + raw
        assert fields["v1"] == hmac.new(CLIENT[1].encode(), signed, hashlib.sha256).hexdigest()
        event = json.loads(raw)
        assert headers["X-Avenio-Event"] == event["type"] == kind
        assert event["data"]["status"] == ("failed" if kind.endswith("failed") else "completed")

    entities = {"bhe.emision.completed": emitted["operationId"], "bhe.emision.failed": emitted["operationId"]}
    await _every_type(mock, "avenio", CLIENT[0], got, verify, url=url, entities=entities)


async def test_every_tupana_event_can_be_triggered_and_verifies(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("tupana",))
    url, got = await receiver(aiohttp_server)
    tupana = Tupana(mock)
    credential = await tupana.enrol()
    hook_body = {"master_entity_id": entity_id(ISSUER), "url": url, "events": [], "secret": SECRET}
    hook = await tupana.ok("POST", "/webhooks/", 201, json=hook_body)
    got.clear()

    def verify(kind: str, raw: bytes, headers: Any) -> None:
        assert headers["X-Pana-Signature"] == hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        assert headers["X-Pana-Event-Type"] == json.loads(raw)["event"] == kind
        assert headers["User-Agent"] == "Pana-Webhook/1.0"

    entities = {
        "credential.validated": credential["id"],
        "credential.invalid": credential["id"],
        "webhook.test": hook["id"],
    }
    await _every_type(mock, "tupana", TUPANA_KEY, got, verify, entities=entities)


async def test_every_bsale_notification_can_be_triggered_and_verifies(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("bsale",))
    url, got = await receiver(aiohttp_server)
    made = await Bsale(mock).create(boleta(1000))
    given = {"tenant": BSALE_TOKEN, "secret": SECRET, "url": url}
    assert (await mock.client.post("/__admin/actions/bsale/configure-webhook", json=given)).status == 200

    def verify(kind: str, raw: bytes, headers: Any) -> None:
        expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        assert headers["X-Mock-Signature"] == expected
        note = json.loads(raw)
        assert f"{note['topic']}.{note['action']}" == kind

    entities = {"document.post": str(made["id"]), "document.put": str(made["id"])}
    await _every_type(mock, "bsale", BSALE_TOKEN, got, verify, entities=entities)


async def test_mistakes_in_a_trigger_are_refused_loudly(mock: Mock) -> None:
    base = {"provider": "tuimprenta", "tenant": TI_KEY, "url": "http://127.0.0.1:9/hook"}
    cases = [
        (
            {**base, "type": "invoice.issud"},
            400,
            "unknown event type 'invoice.issud' for tuimprenta; known: ",
        ),
        ({**base, "type": "invoice.issued", "entity": "inv_nope"}, 404, "this key has no invoice 'inv_nope'"),
        ({**base, "type": "invoice.issued", "entiti": "x"}, 400, "unknown event field 'entiti'"),
        ({"provider": "tuimprenta", "type": "invoice.issued"}, 400, "give provider and tenant"),
        ({"provider": "tuimprenta", "tenant": TI_KEY, "type": "invoice.issued"}, 400, "no webhook endpoint"),
        ({**base, "provider": "nope", "type": "x"}, 400, "unknown provider 'nope'"),
        ({**base, "type": "invoice.issued", "url": ""}, 400, "url must be a non-empty string"),
    ]
    for body, status, words in cases:
        response = await mock.client.post("/__admin/events", json=body)
        assert response.status == status, (body, await response.text())
        assert words in (await response.json())["error"], body
    listed = await mock.client.get("/__admin/events?provder=bsale")
    assert listed.status == 400


async def test_a_triggered_event_leaves_its_entity_as_it_was(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    """A rejection after an acceptance reaches the receiver; the comprobante itself stays accepted."""
    mock: Mock = await make_mock(providers=("hacienda",))
    url, got = await receiver(aiohttp_server)
    hacienda = Hacienda(mock, (await login(mock))["access_token"])
    clave = await hacienda.submit(sample.Sample())
    await mock.advance(5)
    assert (await hacienda.status(clave))["ind-estado"] == "aceptado"
    body = {"provider": "hacienda", "tenant": f"rut-stag/{USER}", "type": "recepcion.rechazado"}
    await _trigger(mock, **body, entity=clave, url=url)
    await mock.settle_webhooks()
    assert json.loads(got[0][0])["ind-estado"] == "rechazado"
    assert (await hacienda.status(clave))["ind-estado"] == "aceptado"


async def test_a_sandboxs_credential_triggers_its_own_events_only_on_its_clock(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    url, got = await receiver(aiohttp_server)
    own = {"Authorization": f"Bearer {TI_KEY}", "X-Mock-Provider": "tuimprenta"}
    clock = {"frozen_time": "2031-05-05T10:00:00Z"}
    assert (await mock.client.post("/__admin/clocks", json=clock, headers=own)).status == 201
    body = {"provider": "tuimprenta", "type": "batch.completed", "url": url}
    response = await mock.client.post("/__admin/events", json=body, headers=own)
    assert response.status == 202, await response.text()
    await mock.settle_webhooks()
    event = json.loads(got[0][0])
    assert event["created_at"] == "2031-05-05T10:00:00Z"  # dated on the sandbox's clock
    assert event["data"]["status"] == "partial"  # the made-up batch: one invoice failed
    theirs = {**body, "tenant": "ti_test_another_ci_job_000000000001"}
    assert (await mock.client.post("/__admin/events", json=theirs, headers=own)).status == 403
    listed = await (await mock.client.get("/__admin/events", headers=own)).json()
    assert {e["provider"] for e in listed["events"]} == {"tuimprenta"}
