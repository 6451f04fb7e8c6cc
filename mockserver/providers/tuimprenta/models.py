"""tuimprenta's records: invoices, batches and their rows, an API key's account, and their rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from mockserver.core.errors import Kind, MockError
from mockserver.core.services.clock import iso
from mockserver.core.services.lifecycle import Track

CARACAS = ZoneInfo("America/Caracas")
TAX_RATES = {Decimal("0"), Decimal("0.08"), Decimal("0.16"), Decimal("0.31")}
CURRENCIES = {"VES", "USD", "EUR"}
CSV_COLUMNS = (
    "series",
    "issue_date",
    "customer_name",
    "customer_tax_id",
    "customer_email",
    "item_description",
    "item_qty",
    "item_unit_price",
    "tax_rate",
    "currency",
    "metadata_order_id",
)
MAX_BATCH_INVOICES = 50_000


def too_many_invoices() -> MockError:
    return MockError(
        Kind.PAYLOAD_TOO_LARGE,
        f"Un lote admite hasta {MAX_BATCH_INVOICES} facturas",
        code="E1005",
        field="payload",
    )


def drafted(invoice: Any, what: str) -> MockError:
    """409 for what a draft cannot do until it is issued (`POST /v1/invoices/{id}/issue`)."""
    return MockError(
        Kind.CONFLICT, f"La factura {invoice.id} es un borrador y {what}", code="E3004", field="id"
    )


CENT = Decimal("0.01")


class Problem(Exception):
    """An invoice that cannot be issued: its error in the seed's shape and the status a single call gets."""

    def __init__(self, status: int, kind: str, code: str, field_path: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.code, self.field, self.message = status, kind, code, field_path, message

    def as_json(self) -> dict[str, str]:
        return {"type": self.kind, "code": self.code, "field": self.field, "message": self.message}

    def to_mock_error(self) -> MockError:
        kind = Kind.VALIDATION
        return MockError(
            kind,
            self.message,
            code=self.code,
            field=self.field,
            status=self.status,
            detail={"type": self.kind},
        )


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Invoice:
    id: str
    series: str
    number: int | None  # a draft has none until it is issued
    control_number: str | None
    issue_date: str
    customer: dict[str, Any]
    items: list[dict[str, Any]]
    currency: str
    totals: dict[str, float]
    tax_breakdown: list[dict[str, float]]
    metadata: dict[str, Any]
    send_email: bool
    created_at: float
    status: str = "issued"
    canceled_at: float | None = None
    cancel_reason: str | None = None
    batch_id: str | None = None
    dated: bool = True  # the issue_date was given; a draft without one takes the day it is issued

    def as_json(self, base: str) -> dict[str, Any]:
        files = self.status != "draft"  # a draft has no PDF or XML until it is issued
        out = {
            "id": self.id,
            "series": self.series,
            "number": self.number,
            "control_number": self.control_number,
            "issue_date": self.issue_date,
            "customer": self.customer,
            "items": self.items,
            "currency": self.currency,
            "status": self.status,
            "totals": self.totals,
            "tax_breakdown": self.tax_breakdown,
            "links": {
                "pdf": f"{base}/v1/invoices/{self.id}/pdf" if files else None,
                "xml": f"{base}/v1/invoices/{self.id}/xml" if files else None,
            },
            "metadata": self.metadata,
            "send_email": self.send_email,
            "created_at": iso(self.created_at),
        }
        if self.status == "canceled":
            out["canceled_at"] = iso(self.canceled_at or self.created_at)
            out["cancel_reason"] = self.cancel_reason
        return out


@dataclass
class BatchRow:
    row: int
    order_id: str | None
    invoice_id: str | None = None
    status: str = "queued"
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Batch:
    id: str
    type: str
    created_at: float
    callback_url: str | None
    groups: list[tuple[dict[str, Any], list[BatchRow]]]  # one invoice, the rows it came from
    source: str  # json | csv
    status: str = "queued"
    processed: int = 0
    failed: int = 0
    completed_at: float | None = None
    track: Track | None = field(default=None, repr=False, compare=False)  # its lifecycle's handle

    def as_json(self, base: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "status": self.status,
            "counts": {"queued": len(self.groups), "processed": self.processed, "failed": self.failed},
            "created_at": iso(self.created_at),
            "result_url": f"{base}/v1/batches/{self.id}/result.csv",
            "callback_url": self.callback_url,
            "source": self.source,
        }
        if self.completed_at is not None:
            out["completed_at"] = iso(self.completed_at)
        return out

    @property
    def rows(self) -> list[BatchRow]:
        return sorted((r for _, rows in self.groups for r in rows), key=lambda r: r.row)


@dataclass
class Account:
    key: str
    invoices: dict[str, Invoice] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # creation order, oldest first
    numbers: dict[str, int] = field(default_factory=dict)
    control: int = 0
    batches: dict[str, Batch] = field(default_factory=dict)
    endpoints: list[dict[str, Any]] = field(default_factory=list)  # {url, secret}
    secret: str = ""
    emails: list[dict[str, Any]] = field(default_factory=list)
