"""Bsale's state: a seeded instance per access_token, documents, SII declaration on the clock, webhooks."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any, cast

from mockserver.core.errors import Kind, MockError
from mockserver.core.services.lifecycle import Step
from mockserver.core.services.webhooks import Delivery, RetryPolicy
from mockserver.core.state import ProviderState
from mockserver.providers.bsale import artifacts, creation, stocks
from mockserver.providers.bsale.documents import Document, Shipping
from mockserver.providers.bsale.instance import Instance

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime

GENERIC_RUTS = frozenset({"55555555-5", "66666666-6"})  # a foreigner, a final consumer
# magic access token prefix: the instance is blocked for non-payment (402)
BLOCKED_PREFIX = "blocked"
# Bsale's notifications have no documented retry policy; the mock retries a few times
WEBHOOK_POLICY = RetryPolicy(max_attempts=5, base=10.0, factor=2.0, timeout=10.0)


class BsaleState(ProviderState):
    def __init__(self, pr: ProviderRuntime) -> None:
        super().__init__(pr)
        self.instances: dict[str, Instance] = {}
        self._next_cpn = 1

    def reset(self, tenant: str) -> None:
        self.instances.pop(tenant, None)

    @functools.cached_property
    def _pristine(self) -> Instance:
        return Instance.seeded(0, "")

    @functools.cached_property
    def _link_secret(self) -> bytes:
        return hashlib.sha256(b"bsale-public-links\0" + self.keys.private_pem).digest()

    def _link_token(self) -> str:
        """The token in a document's public links (urlPdf, urlPublicView, urlXml): whoever holds it reads
        the document, so it is a MAC of a seeded draw under the mock's own key, unguessable whatever
        `--seed` is, and the same again when the write log is replayed."""
        drawn = self.ids.hex(12)
        return hmac.new(self._link_secret, drawn.encode(), hashlib.sha256).hexdigest()[:12]

    def instance(self, access_token: str, *, create: bool = True) -> Instance:
        """The token's instance, made on its first write; a read of an unknown token sees the seed as a
        new instance would, shared, so that unknown tokens cost nothing (`create=False`: read only)."""
        instance = self.instances.get(access_token)
        if instance is None and not create:
            return self._pristine
        if instance is None:
            self._next_cpn += 1
            instance = self.instances[access_token] = Instance.seeded(self._next_cpn, access_token)
        return instance

    def by_cpn(self, cpn_id: int) -> Instance | None:
        return next((i for i in self.instances.values() if i.cpn_id == cpn_id), None)

    # --- documents -----------------------------------------------------------------------------------

    def create(
        self, instance: Instance, body: dict[str, Any], scenario: str | None = None, **kind: Any
    ) -> tuple[Document, bool]:
        """A document, stamped, stored, told, dispatched and declared to the SII. `kind` says what
        made it (a return's credit note, a guía…), as `creation.create` takes it."""
        doc, created = creation.create(
            instance,
            body,
            now=self.clock.now(),
            token=self._link_token(),
            user_id=instance.api_user(),
            **kind,
        )
        if not created:
            return doc, False
        if doc.electronic:  # stamped before it is stored: one packing, not two
            ted = artifacts.ted(instance, doc, self.keys, self.clock.now())
            doc = dataclasses.replace(doc, ted=instance.ted_parts(doc, ted))
        instance.add_document(doc)
        self.notify(instance, "document", "post", doc.id, doc.office_id)
        for payment in doc.payments:
            self.notify(
                instance, "payment", "post", payment.id, doc.office_id, path=f"/v1/payments/{payment.id}.json"
            )
        if body.get("dispatch"):
            doc = self._dispatch(instance, doc)
        if body.get("sendEmail"):
            client = instance.get("clients", doc.client_id) if doc.client_id else None
            instance.emails.append(
                {"documentId": doc.id, "to": (client or {}).get("email", ""), "at": int(self.clock.now())}
            )
        if doc.electronic and body.get("declareSii", 1):
            client = instance.get("clients", doc.client_id) or {}
            document_id = doc.id  # not the document: a pending declaration holds no copy of it
            rejected = (
                client.get("code") == creation.SII_REJECTS_CLIENT or scenario == "rejected-by-tax-authority"
            )
            track = self.lifecycles.start(
                self.name,
                "sii",
                f"{instance.access_token}|{doc.id}",
                [Step("declared", self.options["sii_delay"])],
                functools.partial(self._declared, instance, document_id, rejected),
                tenant=instance.access_token,
            )
            if track.done:  # immediate mode declared it at once: the answer shows the SII's word
                doc = instance.documents.get(doc.id) or doc
            else:
                instance.sii_tracks[doc.id] = track
        return doc, True

    # --- clients -------------------------------------------------------------------------------------

    def create_client(self, instance: Instance, body: dict[str, Any]) -> dict[str, Any]:
        if not str(body.get("firstName") or body.get("company") or "").strip():
            raise MockError(Kind.VALIDATION, "firstName or company is required")
        code = str(body.get("code") or ("55555555-5" if body.get("isForeigner") else ""))  # Bsale's foreigner
        self._unique_code(instance, code, None)
        client = cast(
            dict[str, Any], creation.make_client(instance, {**body, "code": code}, self.clock.now())
        )
        client.update({k: body[k] for k in ("note", "hasCredit", "maxCredit", "sendDte") if k in body})
        self.notify(instance, "client", "post", client["id"], 1, path=f"/v1/clients/{client['id']}.json")
        return client

    def update_client(
        self, instance: Instance, client: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        self._unique_code(instance, str(body.get("code") or ""), client["id"])
        client.update(body)
        client["updatedAt"] = int(self.clock.now())
        self.notify(instance, "client", "put", client["id"], 1, path=f"/v1/clients/{client['id']}.json")
        return client

    @staticmethod
    def _unique_code(instance: Instance, code: str, own: int | None) -> None:
        """Bsale refuses a second client with the same tax id (the SII's generic ones are shared)."""
        clients = instance.catalogue.clients.values()
        if code and code not in GENERIC_RUTS and any(c["code"] == code and c["id"] != own for c in clients):
            raise MockError(Kind.VALIDATION, "client code already exists")

    def _declared(self, instance: Instance, document_id: int, rejected: bool, _state: str) -> None:
        doc = instance.documents.update(document_id, informed_sii=2 if rejected else 0)
        instance.sii_tracks.pop(document_id, None)
        self.notify(instance, "document", "put", doc.id, doc.office_id)

    def _dispatch(self, instance: Instance, doc: Document, sign: int = -1) -> Document:
        """Move stock for every product line at the document's office (sign -1 sells, +1 restores)."""
        lines = []
        for detail in doc.details:
            if detail.variant_id is None:
                continue
            variant = instance.catalogue.variants[detail.variant_id]
            after = stocks.move(self, instance, variant, doc.office_id, sign * detail.quantity)
            lines.append(
                {
                    "id": instance.next_id("shipping_details"),
                    "variant_id": variant["id"],
                    "quantity": detail.quantity,
                    "stock_after": after,
                    "cost": variant["cost"],
                }
            )
        if sign < 0:
            shipping = Shipping(
                instance.next_id("shippings"),
                doc.id,
                doc.office_id,
                lines,
                date=doc.emission_date,
                address=doc.address,
                municipality=doc.municipality,
                city=doc.city,
                user_id=doc.user_id,
            )
            instance.shippings[shipping.id] = shipping
            return instance.documents.update(doc.id, shipping_id=shipping.id)
        return doc

    def document(self, instance: Instance, document_id: int) -> Document:
        doc = instance.documents.get(document_id)
        if doc is None:
            raise MockError(Kind.NOT_FOUND, "document not found")
        return doc

    def poll_document(self, instance: Instance, document_id: int) -> Document:
        """The document as a client polling informedSii reads it (a read counts in polls mode)."""
        self.lifecycles.poll(instance.sii_tracks.get(document_id))
        return self.document(instance, document_id)

    def delete(self, instance: Instance, document_id: int, office_id: int | None) -> Document:
        doc = self.document(instance, document_id)
        if office_id is None or instance.get("offices", office_id) is None:
            raise MockError(Kind.VALIDATION, "invalid office")
        if doc.electronic:
            raise MockError(Kind.VALIDATION, "electronic documents can not be removed, issue a credit note")
        if doc.used:
            raise MockError(Kind.VALIDATION, "This document may not be removed because it was used")
        if doc.state == 1:
            raise MockError(Kind.NOT_FOUND, "document not found")
        doc = instance.set_state(doc, 1)
        if doc.shipping_id is not None:
            self._dispatch(instance, doc, sign=+1)
        self.notify(instance, "document", "delete", doc.id, doc.office_id)
        return doc

    def costs(self, instance: Instance, doc: Document, base: str) -> dict[str, Any]:
        doc_type = instance.catalogue.document_types[doc.document_type_id]
        shipping = instance.shippings.get(doc.shipping_id) if doc.shipping_id else None
        detail = []
        for line in shipping.lines if shipping else []:
            variant = instance.catalogue.variants[line["variant_id"]]
            detail.append(
                {
                    "variant": {
                        "href": f"{base}/v1/variants/{variant['id']}.json",
                        "id": variant["id"],
                        "description": variant["description"],
                        "code": variant["code"],
                    },
                    "shipping_detail": {
                        "href": f"{base}/v1/shippings/{shipping.id}/details/{line['id']}.json",  # type: ignore[union-attr]
                        "id": line["id"],
                        "quantity": line["quantity"],
                        "variantStock": line["stock_after"],
                        "variantCost": line["cost"],
                        "variantTotalCost": line["cost"] * line["quantity"],
                    },
                }
            )
        return {
            "href": f"{base}/v1/documents/{doc.id}.json",
            "id": doc.id,
            "name": doc_type["name"],
            "number": doc.number,
            "totalCost": sum(d["shipping_detail"]["variantTotalCost"] for d in detail),
            "cost_detail": detail,
        }

    # --- notifications -------------------------------------------------------------------------------

    def configure_webhook(self, access_token: str, url: str | None, secret: str | None) -> dict[str, Any]:
        instance = self.instance(access_token)
        instance.webhook_url, instance.webhook_secret = url or None, secret or None
        return {
            "cpnId": instance.cpn_id,
            "url": instance.webhook_url,
            "signed": bool(instance.webhook_secret),
        }

    def notify(
        self,
        instance: Instance,
        topic: str,
        action: str,
        resource_id: int,
        office_id: int,
        path: str | None = None,
        url: str | None = None,
        **extra: str,
    ) -> Delivery | None:
        """Bsale's notification, to the instance's URL (or `url`): `resource` is the path a client reads
        the change at, which Bsale writes differently per topic (`/documents/1.json`,
        `/v1/payments/1.json`, `/v2/stocks.json?…`)."""
        url = url or instance.webhook_url
        if not url:
            return None
        now = int(self.clock.now())
        payload = {
            "cpnId": instance.cpn_id,
            "resource": path or f"/documents/{resource_id}.json",
            "resourceId": str(resource_id),
            "topic": topic,
            "action": action,
            "send": now,
            "officeId": str(office_id),
            **extra,
        }
        body = json.dumps(payload).encode()
        headers = {}
        if instance.webhook_secret:
            # a mock extension, opt-in: Bsale itself does not sign its notifications
            digest = hmac.new(instance.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Mock-Signature"] = f"sha256={digest}"
        return self.webhooks.send(
            provider=self.name,
            tenant=instance.access_token,
            event=f"{topic}.{action}",
            url=url,
            body=body,
            headers=headers,
            policy=WEBHOOK_POLICY,
        )
