"""Tu Pana's batch documents and batches, payment requests and cessions: the records, and their JSON
shapes in the API's answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.core.services.clock import iso
from mockserver.core.services.lifecycle import Track
from mockserver.core.services.signed_urls import SignedUrls
from mockserver.providers.tupana import amounts

DTE_TYPES = {
    "33": "Factura electrónica",
    "34": "Factura no afecta o exenta electrónica",
    "39": "Boleta electrónica",
    "41": "Boleta exenta electrónica",
    "46": "Factura de compra electrónica",
    "52": "Guía de despacho electrónica",
    "56": "Nota de débito electrónica",
    "61": "Nota de crédito electrónica",
    "80": "Boleta de honorarios electrónica",
    "90": "Boleta de honorarios de terceros electrónica",
    "110": "Factura de exportación electrónica",
    "111": "Nota de débito de exportación electrónica",
    "112": "Nota de crédito de exportación electrónica",
}
NEEDS_REFERENCES = {"56", "61", "111", "112"}
BOLETAS = {"39", "41"}
# magic receptor RUTs, like test card numbers (README)
RECEIVER_REJECTED = "66666666-6"
RECEIVER_SII_DOWN = "77777777-7"
ISSUER_FIELDS = ("business_name", "business_activity", "address", "district", "city")
RECEIVER_FIELDS = ("business_name", "business_activity", "address", "district", "city")


@dataclass(frozen=True)
class Downloads:
    """Presigned PDF and XML links: the signer and how long a link stays valid."""

    links: SignedUrls
    ttl: float


@dataclass
class Document:
    id: str
    batch_id: str
    index: int
    dte_type: str
    sender_id: str
    sender: dict[str, Any]
    receiver: dict[str, Any]
    receiver_id: str | None
    date_issued: str
    header: dict[str, Any]
    references: list[dict[str, Any]]
    totals: amounts.Totals
    json_param: dict[str, Any] | None
    additional_info: str | None
    is_draft: bool
    problems: list[dict[str, Any]]
    planned_outcome: str  # success | rejected | temporary_error
    created_at: float
    updated_at: float
    status: str = "created"
    folio: int | None = None
    state: str | None = None
    error: dict[str, Any] | None = None
    is_paid: bool = False
    traces: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""

    @property
    def issued(self) -> bool:
        return self.folio is not None

    def links(self, downloads: Downloads) -> tuple[str | None, str | None]:
        if not self.issued and not self.is_draft:
            return None, None
        pdf, _ = downloads.links.sign(f"/v2/documents/{self.id}/pdf/", downloads.ttl)
        xml, _ = downloads.links.sign(f"/v2/documents/{self.id}/xml/", downloads.ttl)
        return self.base_url + pdf, (self.base_url + xml) if self.issued else None

    def summary(self, downloads: Downloads) -> dict[str, Any]:
        pdf, _ = self.links(downloads)
        return {
            "id": self.id,
            "folio": str(self.folio) if self.folio else None,
            "date_issued": self.date_issued,
            "amount_with_iva": self.totals.total,
            "receiver_id": self.receiver_id,
            "is_draft": self.is_draft,
            "can_be_issued": not self.problems,
            "dte_type": {"code": self.dte_type, "description": DTE_TYPES[self.dte_type]},
            "sender": self.sender,
            "receiver": self.receiver,
            "items": self.totals.lines,
            "document_total": {
                "net": self.totals.net,
                "exempt": self.totals.exempt,
                "iva": self.totals.iva,
                "total": self.totals.total,
            },
            "pdf_url": pdf,
            "pdf_download_url": pdf,
        }

    def batch_entry(self, downloads: Downloads) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "index": self.index,
            "status": self.status,
            "confirmation_pending": self.status == "processing",
            "document": self.summary(downloads),
        }
        if self.problems:
            entry["errors"] = self.problems
        elif self.error:
            entry["errors"] = [self.error]
        return entry

    def detail(self, downloads: Downloads) -> dict[str, Any]:
        pdf, xml = self.links(downloads)
        return {
            "id": self.id,
            "folio": str(self.folio) if self.folio else None,
            "date_issued": self.date_issued,
            "dte_type_code": self.dte_type,
            "dte_type_description": DTE_TYPES[self.dte_type],
            "amount_with_iva": self.totals.total,
            "amount_without_iva": self.totals.net + self.totals.exempt,
            "amount_iva": self.totals.iva,
            "currency": "CLP",
            "sender_id": self.sender_id,
            "sender_name": self.sender.get("business_name", ""),
            "sender_tax_id": self.sender["rut"],
            "receiver_id": self.receiver_id,
            "receiver_name": self.receiver.get("business_name"),
            "receiver_tax_id": self.receiver.get("rut"),
            "is_paid": self.is_paid,
            "has_credit_note": False,
            "has_trace": bool(self.traces),
            "state": self.state,
            "status": self.status,
            "environment": "sandbox",
            "pdf": pdf,
            "xml": xml,
            "details": self.totals.lines,
            "references": self.references,
            "traces": self.traces,
            "json_param": self.json_param,
            "additional_info": self.additional_info,
            "error": self.error,
            "batch_id": self.batch_id,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


@dataclass
class Batch:
    id: str
    idempotency_key: str | None
    created_at: float
    updated_at: float
    is_draft: bool
    preview: bool
    status: str = "created"
    documents: list[Document] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    track: Track | None = field(default=None, repr=False, compare=False)  # its lifecycle's handle


# --- charges: payment requests and cessions (their rules are in `charges`) -------------------------


@dataclass
class PaymentRequest:
    id: str
    recipient_id: str
    amount: int
    target_dte_type: int | None
    dte_recipient: dict[str, Any] | None
    items: list[dict[str, Any]]
    document_ids: list[str]
    auto_issue: bool
    external_id: str | None
    metadata: dict[str, Any] | None
    redirect_url: str | None
    created_at: float
    expires_at: float
    base_url: str  # where the API was reached: the issued document's links start there
    status: str = "pending"  # → paid → issued; expired when no one pays in time
    issued_document_id: str | None = None
    paid_at: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "payment_request_id": self.id,
            "status": self.status,
            "payment_url": f"{self.base_url}/pay/{self.id}",
            "expires_at": iso(self.expires_at),
            "created_at": iso(self.created_at),
            "paid_at": iso(self.paid_at) if self.paid_at else None,
            "amount": self.amount,
            "currency": "CLP",
            "recipient_id": self.recipient_id,
            "target_dte_type": self.target_dte_type,
            "auto_issue": self.auto_issue,
            "external_id": self.external_id,
            "metadata": self.metadata,
            "redirect_url": self.redirect_url,
            "issued_document_id": self.issued_document_id,
            "document_ids": self.document_ids,
        }


@dataclass
class Cession:
    id: str
    document_id: str
    document_folio: str
    document_amount: int
    assignee_rut: str
    assignee_business_name: str
    created_at: float
    status: str = "pending"  # → accepted | rejected (by the SII)
    status_message: str | None = None
    aec_url: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "document_id": self.document_id,
            "document_folio": self.document_folio,
            "document_amount": self.document_amount,
            "assignee_rut": self.assignee_rut,
            "assignee_business_name": self.assignee_business_name,
            "assignment_amount": self.document_amount if self.status == "accepted" else 0,
            "status": self.status,
            "status_message": self.status_message,
            "source": "api",
            "document_type": "issued",
            "aec_url": self.aec_url,
            "created_at": iso(self.created_at),
        }


@dataclass
class CessionBatch:
    id: str
    master_entity_id: str
    assignee_rut: str
    assignee_business_name: str
    created_at: float
    cessions: list[Cession] = field(default_factory=list)
    status: str = "processing"  # → completed | partial | failed
    error_message: str | None = None

    def as_json(self) -> dict[str, Any]:
        ok = sum(c.status == "accepted" for c in self.cessions)
        failed = sum(c.status == "rejected" for c in self.cessions)
        return {
            "id": self.id,
            "status": self.status,
            "total": len(self.cessions),
            "success_count": ok,
            "failed_count": failed,
            "assignee_business_name": self.assignee_business_name,
            "assignee_rut": self.assignee_rut,
            "created_at": iso(self.created_at),
            "error_message": self.error_message,
            "batch_cessions": [c.as_json() for c in self.cessions],
        }
