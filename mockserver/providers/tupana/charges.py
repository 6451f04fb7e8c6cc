"""Tu Pana's payment requests (cobros) and cessions (cesiones de facturas, AEC), as the official SDK's
types declare them. Both move on the clock: a payment request expires unpaid (or is paid by the
mock's `pay-payment-request` action, since no one pays a sandbox), and a cession batch is decided by
the SII after `sii_delay`, each document on its own, with the SII's reason when it is refused."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mockserver.core.errors import Kind, MockError
from mockserver.core.kit import rut
from mockserver.core.services.lifecycle import Step
from mockserver.providers.tupana.models import Cession, CessionBatch, PaymentRequest

if TYPE_CHECKING:
    from mockserver.providers.tupana.accounts import User
    from mockserver.providers.tupana.state import TupanaState

CEDIBLE = {"33", "34", "46"}  # facturas: the only documents a cession can carry
GROSS_PRICED = {"39", "41"}  # boletas are priced with IVA included


def _invalid(message: str, param: str) -> MockError:
    return MockError(Kind.VALIDATION, message, code="validation_error", field=param, status=422)


# --- payment requests ----------------------------------------------------------------------------


def create_payment_request(
    state: TupanaState, user: User, body: dict[str, Any], base_url: str
) -> tuple[PaymentRequest, bool]:
    """The request, and whether it is new (the same `external_id` answers the original)."""
    external = body.get("external_id")
    if external:
        for existing in user.payment_requests.values():
            if existing.external_id == external:
                return existing, False
    documents = [str(d) for d in body.get("document_ids") or []]
    for document_id in documents:
        if not state.document(user, document_id).issued:
            raise _invalid(f"The document {document_id} is not issued", "document_ids")
    target = body.get("target_dte_type")
    items = body.get("items") or []
    if not documents and (target is None or not items or not body.get("amount")):
        raise _invalid(
            "Give document_ids of issued documents, or amount, target_dte_type and items to issue one",
            "document_ids" if target is None else "items",
        )
    if not documents and not state.first_company(user):
        raise MockError(
            Kind.VALIDATION, "No company is enrolled: add a credential first", code="company_not_enrolled"
        )
    amount = int(body.get("amount") or sum(state.document(user, d).totals.total for d in documents))
    now = state.clock.now()
    ident = "pr_" + state.ids.hex(16)
    request = PaymentRequest(
        id=ident,
        recipient_id=str(body["recipient_id"]),
        amount=amount,
        target_dte_type=int(target) if target is not None else None,
        dte_recipient=body.get("dte_recipient"),
        items=items,
        document_ids=documents,
        auto_issue=bool(body.get("auto_issue", True)),
        external_id=external,
        metadata=body.get("metadata"),
        redirect_url=body.get("redirect_url"),
        created_at=now,
        expires_at=now + 60 * int(body.get("expires_in_minutes") or 60),
        base_url=base_url,
    )
    user.payment_requests[ident] = request
    state.lifecycles.start(
        state.name,
        "payment_request",
        ident,
        [Step("expired", request.expires_at - now)],
        functools.partial(_expire, request),
        tenant=user.key,
    )
    return request, True


def _expire(request: PaymentRequest, _state: str) -> None:
    if request.status == "pending":
        request.status = "expired"


def payment_request(user: User, ident: str) -> PaymentRequest:
    found = user.payment_requests.get(ident)
    if found is None:
        raise MockError(Kind.NOT_FOUND, f"No payment request {ident}", code="resource_missing")
    return found


def pay(state: TupanaState, user: User, ident: str) -> PaymentRequest:
    """The payer pays (the mock's action): documents are marked paid, or the DTE is issued now when
    `auto_issue`, later by `PATCH {"status": "issued"}` otherwise."""
    request = payment_request(user, ident)
    if request.status != "pending":
        raise MockError(Kind.CONFLICT, f"The payment request is {request.status}", code="invalid_state")
    state.lifecycles.forget_key(state.name, "payment_request", ident)
    request.status, request.paid_at = "paid", state.clock.now()
    for document_id in request.document_ids:
        doc = state.document(user, document_id)
        doc.is_paid = True
        state.emit(user, doc.sender_id, "document.paid", state.document_json(doc))
    if request.target_dte_type is not None and request.auto_issue:
        issue(state, user, request)
    return request


def issue(state: TupanaState, user: User, request: PaymentRequest) -> PaymentRequest:
    if request.status == "issued":
        raise MockError(
            Kind.CONFLICT, "The payment request's document is issued already", code="invalid_state"
        )
    if request.status != "paid" or request.target_dte_type is None:
        raise MockError(
            Kind.CONFLICT,
            f"Only a paid request with a target_dte_type is issued; this one is {request.status}",
            code="invalid_state",
        )
    company = state.first_company(user)
    assert company is not None  # checked when the request was made
    code = str(request.target_dte_type)
    price = "gross_unit_price" if code in GROSS_PRICED else "unit_price"
    document = {
        "dte_type": {"code": code},
        "document_issuer": {"rut": company["tax_id"]},
        "details": [
            {"item_name": i["description"], "quantity": i["quantity"], price: i["unit_price"]}
            for i in request.items
        ],
    }
    if request.dte_recipient:
        document["document_receiver"] = request.dte_recipient
    batch = state.create_batch(
        user, {"documents": [document]}, use_defaults=True, idempotency_key=None, base_url=request.base_url
    )
    request.status, request.issued_document_id = "issued", batch.documents[0].id
    return request


# --- cessions ------------------------------------------------------------------------------------


def create_cession_batch(state: TupanaState, user: User, body: dict[str, Any]) -> CessionBatch:
    ment = str(body["master_entity_id"])
    if ment not in user.companies:
        raise MockError(Kind.NOT_FOUND, f"No master entity {ment}", code="master_entity_not_found")
    assignee = f"{body['assignee_rut']}-{body['assignee_dv']}".upper()
    now = state.clock.now()
    batch = CessionBatch(
        "ceba_" + state.ids.hex(16), ment, str(body["assignee_rut"]), body["assignee_business_name"], now
    )
    for document_id in body["document_ids"]:
        doc = user.documents.get(str(document_id))
        batch.cessions.append(
            Cession(
                "cess_" + state.ids.hex(16),
                str(document_id),
                str(doc.folio or "") if doc else "",
                doc.totals.total if doc else 0,
                batch.assignee_rut,
                batch.assignee_business_name,
                now,
            )
        )
    if not rut.is_valid(assignee):
        batch.error_message = f"El RUT del cesionario {assignee} no es válido"
    user.cession_batches[batch.id] = batch
    state.lifecycles.start(
        state.name,
        "cession_batch",
        batch.id,
        [Step("done", state.options["sii_delay"])],
        functools.partial(_decide, state, user, batch),
        tenant=user.key,
    )
    return batch


def _decide(state: TupanaState, user: User, batch: CessionBatch, _step: str) -> None:
    """The SII's answer, document by document."""
    ceded = {c.document_id for c in cessions(user) if c.status == "accepted"}
    for cession in batch.cessions:
        doc = user.documents.get(cession.document_id)
        reason = batch.error_message
        if reason is None:
            if doc is None or doc.sender_id != batch.master_entity_id:
                reason = "DTE no existe o no pertenece al cedente"
            elif doc.dte_type not in CEDIBLE:
                reason = f"El tipo de documento {doc.dte_type} no es cedible"
            elif doc.state != "accepted":
                reason = "DTE no ha sido aceptado por el SII"
            elif cession.document_id in ceded:
                reason = "El documento ya fue cedido"
        if reason:
            cession.status, cession.status_message = "rejected", reason
        else:
            cession.status, cession.status_message = "accepted", "Cesión aceptada por el SII"
            cession.aec_url = f"{doc.base_url}/v2/cessions/{cession.id}/" if doc else None
            ceded.add(cession.document_id)
    ok = sum(c.status == "accepted" for c in batch.cessions)
    batch.status = "completed" if ok == len(batch.cessions) else "failed" if ok == 0 else "partial"


def cessions(user: User) -> list[Cession]:
    return [c for b in user.cession_batches.values() for c in b.cessions]


def cession(user: User, ident: str) -> Cession:
    found = next((c for c in cessions(user) if c.id == ident), None)
    if found is None:
        raise MockError(Kind.NOT_FOUND, f"No cession {ident}", code="resource_missing")
    return found


def cession_batch(user: User, ident: str) -> CessionBatch:
    found = user.cession_batches.get(ident)
    if found is None:
        raise MockError(Kind.NOT_FOUND, f"No cession batch {ident}", code="resource_missing")
    return found


def listed_cessions(user: User, query: dict[str, Any]) -> list[dict[str, Any]]:
    """`GET /cessions/`: the master entity's, filtered as the SDK's `list` asks."""
    ment = query["master_entity_id"]
    out = []
    for batch in user.cession_batches.values():
        if batch.master_entity_id != ment or query.get("document_type") == "received":
            continue  # a sandbox receives no cessions: no one else cedes to it
        for c in batch.cessions:
            day = datetime.fromtimestamp(c.created_at, UTC).date().isoformat()
            if query.get("status") and c.status != query["status"]:
                continue
            if (query.get("date_from") and day < query["date_from"]) or (
                query.get("date_to") and day > query["date_to"]
            ):
                continue
            search = (query.get("search") or "").lower()
            if search and search not in c.document_folio and search not in c.assignee_business_name.lower():
                continue
            out.append(c.as_json())
    return out
