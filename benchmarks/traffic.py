"""Realistic client traffic for every provider, one round at a time: sign in, create, read back, list.

A round is what an integration test does against one sandbox. `fuzz.py` runs one round per provider to
have real ids to aim at; `soak.py` runs rounds at a steady rate for minutes. Every answer outside the
expected statuses is kept in `unexpected`, with the method, path and body that explain it.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import ClientSession

from mockserver.core.services.keys import load_signing_key
from mockserver.providers.hacienda import sample

PROVIDERS = ("hacienda", "avenio", "bsale", "tupana", "tuimprenta")
CHILE = timezone(timedelta(hours=-3))
BOLETA = {
    "documentTypeId": 8,
    "clientId": 24,
    "details": [{"variantId": 1, "netUnitValue": 23438, "quantity": 1, "taxId": "[1]"}],
}
INVOICE = {
    "series": "B",
    "customer": {"name": "Soak C.A.", "tax_id": "J-12345678-4"},
    "items": [{"description": "Tarjetas", "qty": 1, "unit_price": 12, "tax_rate": 0.16}],
}
TUPANA_DOCUMENT = {
    "dte_type": {"code": "33"},
    "document_issuer": {"rut": "76543210-3"},
    "document_receiver": {"rut": "76369187-K"},
    "details": [{"item_name": "Desarrollo de software", "quantity": 2, "unit_price": 10000}],
}


def emision(callback_url: str | None) -> dict[str, Any]:
    yesterday = (datetime.now(CHILE) - timedelta(days=1)).date().isoformat()
    body: dict[str, Any] = {
        "rutUsuario": "11111111-1",
        "passwordSII": "clave-sii-prueba",
        "esClaveUnica": False,
        "retencion": "receptor",
        "fechaEmision": yesterday,
        "emisor": {"direccion": "Av. Demo 123"},
        "receptor": {
            "rut": "22222222-2",
            "nombre": "Cliente",
            "direccion": "Calle 1",
            "region": 13,
            "comuna": 13114,
        },
        "prestaciones": [{"detalle": "Servicio", "valor": 500000}],
    }
    if callback_url:
        body["callbackUrl"] = callback_url
    return body


@dataclass
class Traffic:
    """Rounds against one live mock. `tenant` names the sandbox (the credential) of the next rounds."""

    session: ClientSession
    base: str
    hook_url: str | None = None  # where created resources ask for webhooks, if anywhere
    statuses: Counter[int] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    known: dict[str, dict[str, set[Any]]] = field(default_factory=dict)  # provider → parameter → values
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    _key: Any = None

    async def call(self, method: str, path: str, expect: tuple[int, ...], **kwargs: Any) -> Any:
        async with self.session.request(method, self.base + path, **kwargs) as response:
            body = await response.read()
            self.statuses[response.status] += 1
            if response.status not in expect:
                self.unexpected.append(f"{method} {path} → {response.status}: {body[:300]!r}")
                return None
            if response.content_type.endswith("json"):
                return await response.json()
            return body

    def remember(self, provider: str, **values: Any) -> None:
        for name, value in values.items():
            if value is not None:
                self.known.setdefault(provider, {}).setdefault(name, set()).add(value)

    async def round(self, provider: str, tenant: str) -> None:
        await getattr(self, provider)(tenant)

    # --- one round per provider -------------------------------------------------------------------

    async def hacienda(self, tenant: str) -> None:
        token = self.tokens.get(("hacienda", tenant))
        if token is None:
            form = {"grant_type": "password", "client_id": "api-stag", "username": tenant, "password": "x"}
            path = "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token"
            answer = await self.call("POST", path, (200,), data=form)
            if answer is None:
                return
            token = self.tokens[("hacienda", tenant)] = answer["access_token"]
        if self._key is None:
            self._key = load_signing_key(None, time.time())
        headers = {"Authorization": f"bearer {token}"}
        doc = sample.Sample(numero=random.randint(1, 9_999_999_999))
        api = "/hacienda/recepcion-sandbox/v1"
        body = sample.body(doc, self._key, callback_url=self.hook_url)
        if await self.call("POST", f"{api}/recepcion", (201, 202), json=body, headers=headers) is None:
            return
        self.remember("hacienda", clave=doc.clave)
        await self.call("GET", f"{api}/recepcion/{doc.clave}", (200,), headers=headers)
        await self.call("GET", f"{api}/comprobantes?offset=0&limit=5", (200, 206), headers=headers)

    async def avenio(self, tenant: str) -> None:
        token = self.tokens.get(("avenio", tenant))
        if token is None:
            form = {
                "grant_type": "client_credentials",
                "client_id": tenant,
                "client_secret": f"{tenant}-secret",
            }
            answer = await self.call("POST", "/avenio/api/v1/connect/token", (200,), data=form)
            if answer is None:
                return
            token = self.tokens[("avenio", tenant)] = answer["data"]["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        answer = await self.call(
            "POST",
            "/avenio/api/v1/bhe/emitir",
            (202,),
            json=emision(self.hook_url),
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        if answer is None:
            return
        operation = answer["data"]["operationId"]
        self.remember("avenio", operationId=operation)
        status = await self.call(
            "GET", f"/avenio/api/v1/bhe/operaciones/{operation}", (200,), headers=headers
        )
        result = (status or {}).get("data", {}).get("result") or {}
        if result.get("pdfUrl"):
            self.remember("avenio", documentId=result["pdfUrl"].split("/documentos/")[1].split(".pdf")[0])

    async def bsale(self, tenant: str) -> None:
        headers = {"access_token": tenant}
        if self.hook_url and ("bsale", tenant) not in self.tokens:  # set in Bsale's settings, live
            hook = {"tenant": tenant, "url": self.hook_url}
            await self.call("POST", "/__admin/actions/bsale/configure-webhook", (200, 201), json=hook)
            self.tokens[("bsale", tenant)] = "hooked"
        doc = await self.call("POST", "/bsale/v1/documents.json", (201,), json=BOLETA, headers=headers)
        if doc is None:
            return
        self.remember("bsale", id=doc["id"], token=doc.get("token"))
        if doc.get("urlPdf"):
            self.remember("bsale", cpnId=doc["urlPdf"].split("/view/")[1].split("/")[0])
        await self.call(
            "GET", f"/bsale/v1/documents/{doc['id']}.json?expand=[details]", (200,), headers=headers
        )
        await self.call("GET", "/bsale/v1/documents.json?limit=5&documenttypeid=8", (200,), headers=headers)

    async def tupana(self, tenant: str) -> None:
        headers = {"Authorization": f"Api-Key sandbox_{tenant}"}
        v2 = "/tupana/v2"
        if ("tupana", tenant) not in self.tokens:  # an enrolled SII credential, once per sandbox
            body = {"rut": TUPANA_DOCUMENT["document_issuer"]["rut"], "password": "clave-sii"}
            if await self.call("POST", f"{v2}/credentials/", (201,), json=body, headers=headers) is None:
                return
            entity = await self.call(
                "GET", f"{v2}/master-entities/?rut={body['rut']}", (200,), headers=headers
            )
            if entity is None:
                return
            self.tokens[("tupana", tenant)] = entity["id"]
            self.remember("tupana", master_entity_id=entity["id"])
            if self.hook_url:
                hook = {"master_entity_id": entity["id"], "url": self.hook_url, "events": ["document.issued"]}
                await self.call("POST", f"{v2}/webhooks/", (201,), json=hook, headers=headers)
        entity_id = self.tokens[("tupana", tenant)]
        batch = await self.call(
            "POST",
            f"{v2}/documents/batch/",
            (202,),
            json={"documents": [TUPANA_DOCUMENT]},
            headers={**headers, "Idempotency-Key": str(uuid.uuid4()), "X-Use-Defaults": "true"},
        )
        if batch is None:
            return
        batch_id = batch.get("id") or batch.get("batch_id")
        self.remember("tupana", batch_id=batch_id)
        await self.call("GET", f"{v2}/documents/batch/{batch_id}/", (200,), headers=headers)
        path = f"{v2}/documents/?master_entity_id={entity_id}&limit=5"
        listed = await self.call("GET", path, (200,), headers=headers)
        for document in (listed or {}).get("data", [])[:1]:
            self.remember("tupana", document_id=document["id"])

    async def tuimprenta(self, tenant: str) -> None:
        headers = {"Authorization": f"Bearer {tenant}"}
        if self.hook_url and ("tuimprenta", tenant) not in self.tokens:  # set in the dashboard, live
            hook = {"tenant": tenant, "url": self.hook_url}
            await self.call("POST", "/__admin/actions/tuimprenta/webhooks", (200, 201), json=hook)
            self.tokens[("tuimprenta", tenant)] = "hooked"
        invoice = await self.call(
            "POST",
            "/tuimprenta/v1/invoices",
            (201,),
            json=INVOICE,
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        if invoice is None:
            return
        self.remember("tuimprenta", id=invoice["id"])
        await self.call("GET", f"/tuimprenta/v1/invoices/{invoice['id']}", (200,), headers=headers)
        await self.call("GET", "/tuimprenta/v1/invoices?limit=5", (200,), headers=headers)
