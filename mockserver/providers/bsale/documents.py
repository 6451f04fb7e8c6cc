"""A Bsale document and its parts. Documents are frozen: a change goes through `Documents.update`
(in `store`), which stores it back, so no change can be lost when the read cache lets a copy go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# a document's amounts in Bsale's order; those not stored are zero
ZERO_AMOUNTS: dict[str, float] = dict.fromkeys(
    (
        "totalAmount",
        "netAmount",
        "taxAmount",
        "exemptAmount",
        "exportTotalAmount",
        "exportNetAmount",
        "exportTaxAmount",
        "exportExemptAmount",
        "commissionRate",
        "commissionNetAmount",
        "commissionTaxAmount",
        "commissionTotalAmount",
        "percentageTaxWithheld",
        "purchaseTaxAmount",
        "purchaseTotalAmount",
    ),
    0,
)
CORE_AMOUNTS = ("totalAmount", "netAmount", "taxAmount", "exemptAmount")


@dataclass(slots=True)
class Detail:
    id: int
    document_id: int
    line_number: int
    quantity: float
    net_unit_value: float
    total_unit_value: float
    net_amount: float
    tax_amount: float
    total_amount: float
    net_discount: float
    total_discount: float
    variant_id: int | None
    note: str
    related_detail_id: int
    tax_ids: tuple[tuple[int, float], ...]  # shared between lines with the same taxes
    discount: float
    comment: str


@dataclass(slots=True)
class Reference:
    id: int
    reference_date: int
    number: str
    reason: str
    dte_code_id: int
    code_sii: str
    code_ref: str = ""  # the SII's CodRef on a credit or debit note: 1 annuls, 2 fixes text, 3 fixes amounts


@dataclass(slots=True)
class Payment:
    id: int
    document_id: int
    payment_type_id: int
    amount: float
    record_date: int
    created_at: int


@dataclass(slots=True)
class DocumentTax:
    id: int
    tax_id: int
    total_amount: float
    exempt_amount: float


@dataclass(slots=True)
class Shipping:
    """Goods that left an office: a sale document dispatched (`dispatch: 1`) or a guía de despacho."""

    id: int
    document_id: int  # the document that moved the goods (the sale, or the guía itself)
    office_id: int
    lines: list[dict[str, Any]]  # {id, variant_id, quantity, stock_after, cost}
    date: int = 0
    shipping_type_id: int | None = None  # a guía's tipo de traslado; None for a dispatched sale
    address: str | None = None
    municipality: str | None = None
    city: str | None = None
    recipient: str | None = None
    user_id: int = 0


@dataclass(slots=True)
class Return:
    """A sale document given back, and the credit note that says so (`annulment_id`: the debit note
    that undid it)."""

    id: int
    code: str
    date: int
    motive: str
    type: int
    price_adjustment: int
    edit_texts: int
    amount: float
    office_id: int
    user_id: int
    reference_document_id: int
    credit_note_id: int
    lines: list[dict[str, Any]]  # {id, detail_id, quantity, unit_value, restocked, variant_id}
    annulment: dict[str, Any] | None = None  # {id, date, amount, debit_note_id}


@dataclass(slots=True)
class StockMove:
    """A reception (goods in) or a consumption (goods used up) at an office."""

    id: int
    kind: str  # "receptions" or "consumptions"
    date: int
    office_id: int
    user_id: int
    note: str
    document: str
    document_number: str
    lines: list[dict[str, Any]]  # {id, variant_id, quantity, cost, stock_after}


@dataclass(slots=True, frozen=True)
class Document:
    id: int
    document_type_id: int
    code_sii: str
    office_id: int
    client_id: int | None
    user_id: int
    coin_id: int
    price_list_id: int
    emission_date: int
    expiration_date: int
    generation_date: int
    rcof_date: int
    number: int
    amounts: dict[str, float]  # CORE_AMOUNTS always, the others only when not zero (see ZERO_AMOUNTS)
    token: str
    electronic: bool
    address: str | None
    municipality: str | None
    city: str | None
    sales_id: str | None
    sale_condition_id: int
    details: tuple[Detail, ...]
    references: tuple[Reference, ...]
    taxes: tuple[DocumentTax, ...]
    sellers: tuple[int, ...]
    attributes: tuple[tuple[int, str], ...]
    payments: tuple[Payment, ...]
    # the only fields that change after creation, through `Documents.update`
    state: int = 0
    informed_sii: int = 1
    ted: tuple[str, str] | None = None  # the TED around its CAF block (see Instance.ted_of)
    shipping_id: int | None = None
    used: bool = False  # a detail was copied into another document: it can no longer be removed
    # what a document carries that only its files show: `observation`, an export's `customsData`
    extras: dict[str, Any] | None = None
