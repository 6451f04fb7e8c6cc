"""Triggered Tu Pana events: a document's, a credential's, a batch's or a webhook test, existing or made
up, sent through the master entity's webhook (and to `url`) with the same body, headers and signature
as the ones its own work sends."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from mockserver.core.errors import MockError
from mockserver.core.plugin import Trigger

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime
    from mockserver.core.services.webhooks import Delivery
    from mockserver.providers.tupana.accounts import User
    from mockserver.providers.tupana.models import Document
    from mockserver.providers.tupana.state import TupanaState

MADE_UP_ISSUER = "76543210-3"  # the issuer of a made-up document when the sandbox has no company
MADE_UP_RECEIVER = "76369187-K"
SII_DOWN = {"code": "sii_unavailable", "message": "El SII no respondió; reintente la emisión"}
SII_REJECTED = {
    "code": "sii_rejected",
    "message": "El SII rechazó el documento: RUT del receptor no autorizado",
}
# what each document event says of the document
DOCUMENTS: dict[str, dict[str, Any]] = {
    "document.issued": {"status": "success", "state": "accepted", "error": None},
    "document.issue_failed": {"status": "temporary_error", "error": SII_DOWN},
    "document.rejected": {"status": "permanent_error", "state": "rejected", "error": SII_REJECTED},
    "document.paid": {"status": "success", "state": "accepted", "is_paid": True},
    "document.updated": {"status": "success", "state": "accepted"},
    "document.cancelled": {"status": "success", "state": "annulled"},
}
LOCKED = {"code": "sii_account_locked", "message": "La cuenta SII está bloqueada por intentos fallidos"}


def trigger(pr: ProviderRuntime, asked: Trigger) -> list[Delivery]:
    state: TupanaState = pr.state
    user = state.user(asked.sandbox)
    family = asked.type.split(".")[0]
    ment, data = {
        "document": _document,
        "credential": _credential,
        "batch": _batch,
        "webhook": _test,
    }[family](state, user, asked)
    hook = state.hook_for(user, ment, asked.type)
    if hook is None and not asked.url:
        raise ValueError(
            f"no active webhook of {ment or 'the sandbox'} receives {asked.type}: "
            "register one (POST /v2/webhooks/) or give url"
        )
    targets: list[tuple[str, str | None]] = [(hook.url, hook.id)] if hook else []
    if asked.url:
        targets.append((asked.url, None))
    secret = hook.secret if hook else None
    return [state.send_event(user, url, secret, asked.type, data, hook_id) for url, hook_id in targets]


def _owned(found: Any, what: str, asked: Trigger) -> Any:
    if found is None:
        raise LookupError(f"this key has no {what} {asked.entity!r}")
    return found


def _document(state: TupanaState, user: User, asked: Trigger) -> tuple[str, dict[str, Any]]:
    if asked.entity:
        doc = _owned(user.documents.get(asked.entity), "document", asked)
    else:
        doc = _made_up_document(state, user, asked)
    shown = dataclasses.replace(doc, **DOCUMENTS[asked.type])
    if shown.folio is None and asked.type != "document.issue_failed":  # an event past the SII has a folio
        shown.folio = user.folios.get((doc.sender_id, doc.dte_type), 0) + 1
    return doc.sender_id, state.document_json(shown)


def _made_up_document(state: TupanaState, user: User, asked: Trigger) -> Document:
    from mockserver.providers.tupana.models import Batch
    from mockserver.providers.tupana.validation import build_document, validate

    issuer = next(iter(user.companies.values()), {}).get("tax_id", MADE_UP_ISSUER)
    given = {
        "dte_type": {"code": "33"},
        "document_issuer": {"rut": issuer},
        "document_receiver": {"rut": MADE_UP_RECEIVER},
        "details": [{"item_name": "Servicio de prueba", "quantity": 1, "unit_price": 10000}],
    }
    problems, _, prepared = validate(
        given,
        0,
        companies=user.companies,
        has_credential=lambda ment: True,
        today=state.today(),
        use_defaults=True,
    )
    now = state.clock.now()
    batch = Batch(state.ids.uuid(), None, now, now, False, False)
    return build_document("docu_" + state.ids.hex(16), now, batch, 0, prepared, problems, asked.base_url)


def _credential(state: TupanaState, user: User, asked: Trigger) -> tuple[str, dict[str, Any]]:
    from mockserver.providers.tupana.accounts import Credential

    if asked.entity:
        credential = _owned(user.credentials.get(asked.entity), "credential", asked)
    else:
        company = next(iter(user.companies.values()), None)
        ment = company["id"] if company else ""
        tax_id = company["tax_id"] if company else MADE_UP_ISSUER
        credential = Credential("cred_" + state.ids.hex(16), ment, tax_id, "active", None, state.clock.now())
    valid = asked.type == "credential.validated"
    shown = dataclasses.replace(
        credential, status="active" if valid else "invalid", error=None if valid else LOCKED
    )
    return credential.master_entity_id, shown.as_json()


def _batch(state: TupanaState, user: User, asked: Trigger) -> tuple[str, dict[str, Any]]:
    from mockserver.providers.tupana.models import Batch

    if asked.entity:
        batch = _owned(user.batches.get(asked.entity), "batch", asked)
        docs = [dataclasses.replace(d, status="invalid") for d in batch.documents]
    else:
        now = state.clock.now()
        batch = Batch(state.ids.uuid(), None, now, now, False, False)
        docs = [dataclasses.replace(_made_up_document(state, user, asked), status="invalid")]
    shown = dataclasses.replace(batch, status="failed", documents=docs)
    return (docs[0].sender_id if docs else ""), state.batch_json(shown)


def _test(state: TupanaState, user: User, asked: Trigger) -> tuple[str, dict[str, Any]]:
    if asked.entity:
        try:
            hook = state.webhook(user, asked.entity)
        except MockError:
            raise LookupError(f"this key has no webhook {asked.entity!r}") from None
    elif user.webhooks:
        hook = next(iter(user.webhooks.values()))
    else:
        raise ValueError("this key has no webhook to test: register one (POST /v2/webhooks/)")
    return hook.master_entity_id, {"webhook_id": hook.id, "message": "Webhook de prueba"}
