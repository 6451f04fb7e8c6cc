"""Tu Pana's state: users (API keys), enrolled companies, credentials, batches, documents, webhooks."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from mockserver.core.errors import Kind, MockError
from mockserver.core.kit import rut
from mockserver.core.services.clock import iso
from mockserver.core.services.lifecycle import Step
from mockserver.core.services.signed_urls import SignedUrls, derived_secret
from mockserver.core.services.webhooks import Attempt, Delivery, RetryPolicy
from mockserver.core.state import ProviderState
from mockserver.providers.tupana import entities
from mockserver.providers.tupana.accounts import ENVIRONMENT, Credential, User, Webhook, owned
from mockserver.providers.tupana.models import Batch, Document, Downloads
from mockserver.providers.tupana.validation import build_document, validate

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime

CHILE = ZoneInfo("America/Santiago")
# magic SII passwords for credentials (documented in the README)
WRONG_PASSWORD = "wrong-password"
LOCKED_PASSWORD = "locked-account"
WEBHOOK_POLICY = RetryPolicy(max_attempts=6, base=10.0, factor=3.0, timeout=10.0)
SCENARIO_OUTCOMES = {"rejected-by-tax-authority": "rejected", "tax-authority-down": "temporary_error"}
STATE_EVENTS = {
    "PAID": ("document.paid", "Pago registrado"),
    "ANNULLED": ("document.cancelled", "Documento anulado"),
    "UNPAID": ("document.updated", "Pago revertido"),
    "DELIVERED": ("document.updated", "Mercadería entregada"),
    "ACD": ("document.updated", "Acepta contenido del documento"),
    "RCD": ("document.updated", "Reclamo al contenido del documento"),
}


class TupanaState(ProviderState):
    def __init__(self, pr: ProviderRuntime) -> None:
        super().__init__(pr)
        self.users: dict[str, User] = {}
        self.delivery_hooks: dict[str, str] = {}  # webhook delivery → the webhook it came from
        self.links = SignedUrls(
            functools.partial(derived_secret, pr.runtime.keys, b"tupana-downloads"), self.clock
        )
        self.downloads = Downloads(self.links, self.options["download_ttl"])

    def reset(self, tenant: str) -> None:
        self.users.pop(tenant, None)

    def user(self, key: str) -> User:
        return self.users.setdefault(key, User(key))

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock.now(), CHILE).date()

    # --- master entities and credentials ------------------------------------------------------------

    @staticmethod
    def lookup(tax_id: str) -> dict[str, Any]:
        if not rut.is_valid(tax_id) or rut.parse(tax_id) is None:
            raise MockError(
                Kind.VALIDATION, f"'{tax_id}' is not a valid RUT", code="invalid_rut", field="rut"
            )
        return entities.lookup(tax_id)

    def create_credential(self, user: User, body: dict[str, Any]) -> Credential:
        if "master_entity_id" in body:
            company = self._entity(user, body["master_entity_id"], body.get("rut"))
            if company is None:
                raise MockError(
                    Kind.NOT_FOUND,
                    f"No master entity {body['master_entity_id']}",
                    code="master_entity_not_found",
                    field="master_entity_id",
                )
        else:
            company = self.lookup(body.get("rut", ""))
        password = body.get("password", "")
        error = None
        if password == WRONG_PASSWORD:
            error = {
                "code": "sii_invalid_password",
                "message": "El SII rechazó la clave: RUT o clave incorrecta",
            }
        elif password == LOCKED_PASSWORD:
            error = {
                "code": "sii_account_locked",
                "message": "La cuenta SII está bloqueada por intentos fallidos; desbloquéela en sii.cl",
            }
        credential = Credential(
            "cred_" + self.ids.hex(16),
            company["id"],
            company["tax_id"],
            "invalid" if error else "active",
            error,
            self.clock.now(),
        )
        user.companies[company["id"]] = company  # a credential enrols the company under this user
        for old in [c for c in user.credentials.values() if c.master_entity_id == company["id"]]:
            if credential.status == "active":
                old.status = "invalid"
        user.credentials[credential.id] = credential
        event = "credential.invalid" if error else "credential.validated"
        self.emit(user, company["id"], event, credential.as_json())
        return credential

    def first_company(self, user: User) -> dict[str, Any] | None:
        """The company the key issues for when a request names none (a payment request's DTE)."""
        return next(iter(user.companies.values()), None)

    def _known(self, user: User) -> list[dict[str, Any]]:
        return list(user.companies.values())

    def _entity(self, user: User, ment: str, tax_id: str | None) -> dict[str, Any] | None:
        """The company a master entity id names: enrolled already, or the one `GET /master-entities/`
        answers for the RUT sent with it (a lookup is a read: nothing is kept of it)."""
        known = next((c for c in self._known(user) if c["id"] == ment), None)
        if known is None and tax_id and rut.is_valid(tax_id) and rut.parse(tax_id) is not None:
            found = entities.lookup(tax_id)
            return found if found["id"] == ment else None
        return known or entities.fixture_company(ment)

    def active_credential(self, user: User, ment: str) -> Credential | None:
        return next(
            (c for c in user.credentials.values() if c.master_entity_id == ment and c.status == "active"),
            None,
        )

    # --- batches -------------------------------------------------------------------------------------

    def create_batch(
        self,
        user: User,
        body: dict[str, Any],
        *,
        use_defaults: bool,
        idempotency_key: str | None,
        base_url: str,
        scenario: str | None = None,
    ) -> Batch:
        now = self.clock.now()
        batch = Batch(
            self.ids.uuid(),
            idempotency_key,
            now,
            now,
            body.get("state", "issued") == "draft",
            bool(body.get("preview")),
        )
        for index, given in enumerate(body["documents"]):
            problems, warnings, prepared = validate(
                given,
                index,
                companies=user.companies,
                has_credential=lambda ment: self.active_credential(user, ment) is not None,
                today=self.today(),
                use_defaults=use_defaults,
            )
            batch.warnings.extend(warnings)
            document_id = "docu_" + self.ids.hex(16)
            doc = build_document(document_id, self.clock.now(), batch, index, prepared, problems, base_url)
            if scenario in SCENARIO_OUTCOMES:
                doc.planned_outcome = SCENARIO_OUTCOMES[scenario]
            batch.documents.append(doc)
            user.documents[doc.id] = doc
        user.batches[batch.id] = batch
        if all(d.problems for d in batch.documents):
            # nothing in the batch can be issued: it fails at intake
            batch.status = "failed"
            for doc in batch.documents:
                doc.status = "invalid"
            self.emit(user, batch.documents[0].sender_id, "batch.intake_failed", self.batch_json(batch))
            return batch
        batch.track = self.lifecycles.start(
            self.name,
            "batch",
            batch.id,
            [Step("processing", self.options["processing_delay"]), Step("done", self.options["sii_delay"])],
            functools.partial(self._advance, user, batch),
            tenant=user.key,
        )
        return batch

    def _advance(self, user: User, batch: Batch, step: str) -> None:
        batch.updated_at = self.clock.now()
        if step == "processing":
            batch.status = "processing"
            for doc in batch.documents:
                doc.status = "invalid" if doc.problems else "processing"
            return
        for doc in batch.documents:
            if doc.problems:
                continue
            self._finish(user, doc)
        ok = any(d.status == "success" for d in batch.documents)
        batch.status = "completed" if ok else "failed"

    def _finish(self, user: User, doc: Document) -> None:
        now = self.clock.now()
        doc.updated_at = now
        outcome = doc.planned_outcome
        if outcome == "temporary_error":
            doc.status, doc.error = (
                "temporary_error",
                {"code": "sii_unavailable", "message": "El SII no respondió; reintente la emisión"},
            )
            self.emit(user, doc.sender_id, "document.issue_failed", self.document_json(doc))
            return
        if doc.is_draft:
            doc.status = "success"
            return
        key = (doc.sender_id, doc.dte_type)
        user.folios[key] = doc.folio = user.folios.get(key, 0) + 1
        doc.traces = [
            {"code": "REC", "description": "Envío recibido por el SII", "date": iso(now)},
            {"code": "EPR", "description": "Envío procesado", "date": iso(now)},
        ]
        if outcome == "rejected":
            doc.status, doc.state = "permanent_error", "rejected"
            doc.error = {
                "code": "sii_rejected",
                "message": "El SII rechazó el documento: RUT del receptor no autorizado",
            }
            doc.traces.append(
                {"code": "RCH", "description": "Documento rechazado por el SII", "date": iso(now)}
            )
            self.emit(user, doc.sender_id, "document.rejected", self.document_json(doc))
            return
        doc.status, doc.state = "success", "accepted"
        doc.traces.append(
            {
                "code": "DOK",
                "description": "Documento recibido por el SII. Datos coinciden con los registrados",
                "date": iso(now),
            }
        )
        doc.history.append(
            {
                "event_code": "ISSUED",
                "description": "Documento emitido y aceptado por el SII",
                "created_at": iso(now),
                "source": "sii",
            }
        )
        self.emit(user, doc.sender_id, "document.issued", self.document_json(doc))

    def issue_draft(self, user: User, document_id: str) -> Document:
        """A draft made with `state: "draft"` is issued: it goes to the SII as a batch's would."""
        doc = self.document(user, document_id)
        if not doc.is_draft:
            raise MockError(Kind.CONFLICT, "Only a draft can be issued", code="document_not_draft")
        doc.is_draft, doc.status, doc.updated_at = False, "processing", self.clock.now()
        self.lifecycles.start(
            self.name,
            "draft",
            doc.id,
            [Step("done", self.options["sii_delay"])],
            functools.partial(self._finish_draft, user, doc),
            tenant=user.key,
        )
        return doc

    def _finish_draft(self, user: User, doc: Document, _step: str) -> None:
        self._finish(user, doc)

    def batch(self, user: User, batch_id: str) -> Batch:
        return owned(user.batches, batch_id, "batch")

    def poll_batch(self, user: User, batch_id: str) -> Batch:
        """The batch as a client polling its status reads it (a read counts in polls mode)."""
        batch = self.batch(user, batch_id)
        self.lifecycles.poll(batch.track)
        return batch

    def batch_json(self, batch: Batch, *, created: bool = False) -> dict[str, Any]:
        docs = [d.batch_entry(self.downloads) for d in batch.documents]
        if created:
            return {
                "batch_id": batch.id,
                "status": batch.status,
                "created_at": iso(batch.created_at),
                "documents": docs,
                "warnings": batch.warnings,
            }
        return {
            "id": batch.id,
            "status": batch.status,
            "idempotency_key": batch.idempotency_key,
            "created_at": iso(batch.created_at),
            "updated_at": iso(batch.updated_at),
            "documents": docs,
        }

    # --- documents -----------------------------------------------------------------------------------

    def document(self, user: User, document_id: str) -> Document:
        return owned(user.documents, document_id, "document")

    def document_json(self, doc: Document) -> dict[str, Any]:
        return doc.detail(self.downloads)

    def register_state(self, user: User, doc: Document, body: dict[str, Any]) -> dict[str, Any]:
        code = str(body.get("event_code", "")).upper()
        if code not in STATE_EVENTS:
            raise MockError(
                Kind.VALIDATION,
                f"event_code must be one of {', '.join(STATE_EVENTS)}",
                code="invalid_event_code",
                field="event_code",
                status=422,
            )
        if doc.status != "success" or doc.is_draft:
            raise MockError(
                Kind.CONFLICT, "Only issued documents can change state", code="document_not_issued"
            )
        event, description = STATE_EVENTS[code]
        if code == "PAID":
            doc.is_paid = True
        elif code == "UNPAID":
            doc.is_paid = False
        elif code == "ANNULLED":
            doc.state = "annulled"
        entry = {
            "event_code": code,
            "description": body.get("description") or description,
            "created_at": iso(self.clock.now()),
            "source": "api",
        }
        doc.history.append(entry)
        doc.updated_at = self.clock.now()
        self.emit(user, doc.sender_id, event, self.document_json(doc))
        return entry

    # --- webhooks ------------------------------------------------------------------------------------

    def webhook(self, user: User, webhook_id: str) -> Webhook:
        return owned(user.webhooks, webhook_id, "webhook")

    def emit(self, user: User, ment: str, event: str, data: dict[str, Any]) -> None:
        hook = self.hook_for(user, ment, event)
        if hook is not None:
            self.send_event(user, hook.url, hook.secret, event, data, hook.id)

    @staticmethod
    def hook_for(user: User, ment: str, event: str) -> Webhook | None:
        """The master entity's webhook, if it is on and subscribes to `event`."""
        hook = next((w for w in user.webhooks.values() if w.master_entity_id == ment), None)
        if hook is None or not hook.is_active or hook.environment not in ("both", ENVIRONMENT):
            return None
        if event != "webhook.test" and hook.events and event not in hook.events:
            return None
        return hook

    def send_event(
        self, user: User, url: str, secret: str | None, event: str, data: dict[str, Any], hook_id: str | None
    ) -> Delivery:
        body = json.dumps(
            {"event": event, "created_at": iso(self.clock.now()), "data": data}, ensure_ascii=False
        ).encode()
        headers = {
            "User-Agent": "Pana-Webhook/1.0",
            "X-Pana-Event-Id": self.ids.uuid(),
            "X-Pana-Event-Type": event,
        }
        if secret:
            # hex HMAC-SHA256 of exactly the bytes sent; the timestamp is not signed (the SDK says so)
            headers["X-Pana-Signature"] = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        delivery = self.webhooks.send(
            provider=self.name,
            tenant=user.key,
            event=event,
            url=url,
            body=body,
            headers=headers,
            policy=WEBHOOK_POLICY,
        )
        if hook_id is not None:
            self.delivery_hooks[delivery.id] = hook_id
        return delivery

    def observe(self, delivery: Delivery, attempt: Attempt) -> None:
        user = self.users.get(delivery.tenant)
        hook = user.webhooks.get(self.delivery_hooks.get(delivery.id, "")) if user else None
        if hook is None:
            return
        hook.attempts += 1
        hook.successes += int(attempt.status is not None and 200 <= attempt.status < 300)
        hook.last_status_code = attempt.status
        hook.last_sent_at = attempt.at
