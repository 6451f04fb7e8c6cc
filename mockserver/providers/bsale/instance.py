"""One Bsale company instance (cpnId): its seeded catalogue and its documents, with list indexes."""

from __future__ import annotations

import bisect
import copy
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from mockserver.core.plugin import FIXTURES

CATALOGUE = (
    "offices",
    "book_types",
    "document_types",
    "taxes",
    "coins",
    "price_lists",
    "products",
    "variants",
    "clients",
    "payment_types",
    "users",
    "dte_codes",
    "dynamic_attributes",
)


@cache
def _seed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "bsale" / "instance.json").read_text(encoding="utf-8"))
    return data


NO_EXTRA: Mapping[str, Any] = MappingProxyType({})

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
CORE_AMOUNTS = frozenset({"totalAmount", "netAmount", "taxAmount", "exemptAmount"})


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
    id: int
    document_id: int
    office_id: int
    lines: list[dict[str, Any]]  # {id, variant_id, quantity, stock_after, cost}


@dataclass(slots=True)
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
    # fixed once created: tuples (an empty one costs nothing), and one shared empty `extra`
    details: tuple[Detail, ...]
    references: tuple[Reference, ...]
    taxes: tuple[DocumentTax, ...]
    sellers: tuple[int, ...]
    attributes: tuple[tuple[int, str], ...]
    payments: tuple[Payment, ...]
    extra: Mapping[str, Any]  # observation, exchangeRate, customsData, sendEmail, dispatch, commissionCodeSii
    state: int = 0
    informed_sii: int = 1
    response_msg_sii: str | None = None
    ted: tuple[str, str] | None = None  # the TED around its CAF block (see Instance.ted_of)
    shipping_id: int | None = None
    used: bool = False  # a detail was copied into another document: it can no longer be removed


# the filters that narrow most, kept as value → document ids (in creation order)
INDEXED = (
    "number",
    "token",
    "document_type_id",
    "client_id",
    "office_id",
    "code_sii",
    "emission_date",
    "rcof_date",
    "state",
)


@dataclass
class Instance:
    cpn_id: int
    access_token: str
    records: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    documents: dict[int, Document] = field(default_factory=dict)
    details: dict[int, Detail] = field(default_factory=dict)
    payments: dict[int, Payment] = field(default_factory=dict)
    shippings: dict[int, Shipping] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    indexes: dict[str, dict[Any, list[int]]] = field(
        default_factory=lambda: {k: defaultdict(list) for k in INDEXED}
    )
    by_sales_id: dict[tuple[int, str], int] = field(default_factory=dict)
    company: dict[str, Any] = field(default_factory=dict)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)
    # the CAF block of a TED (its DA and FRMA) is the same for every document of a type: signed once
    caf_blocks: dict[int, bytes] = field(default_factory=dict)

    @classmethod
    def seeded(cls, cpn_id: int, access_token: str) -> Instance:
        seed = _seed()
        instance = cls(cpn_id, access_token)
        for name in CATALOGUE:
            instance.records[name] = {r["id"]: copy.deepcopy(r) for r in seed[name]}
            instance.sequences[name] = max(instance.records[name], default=0)
        addresses = [a for c in seed["clients"] for a in c.get("addresses", [])]
        instance.sequences["addresses"] = max((a["id"] for a in addresses), default=0)
        instance.company = dict(seed["company"])
        return instance

    def next_id(self, kind: str) -> int:
        self.sequences[kind] += 1
        return self.sequences[kind]

    def get(self, kind: str, ident: Any) -> dict[str, Any] | None:
        try:
            return self.records[kind].get(int(ident))
        except (TypeError, ValueError):
            return None

    def default(self, kind: str) -> dict[str, Any]:
        records = self.records[kind].values()
        return next((r for r in records if r.get("default")), next(iter(records)))

    def keep_ted(self, doc: Document, ted: str) -> None:
        """Keep a document's TED without its CAF block, which every document of its type shares
        (700 of its 1,600 characters)."""
        head, found, tail = ted.partition(self.caf_blocks[doc.document_type_id].decode())
        if not found:
            raise ValueError("the TED does not hold its document type's CAF block")
        doc.ted = (head, tail)

    def ted_of(self, doc: Document) -> str | None:
        if doc.ted is None:
            return None
        head, tail = doc.ted
        return head + self.caf_blocks[doc.document_type_id].decode() + tail

    def add_document(self, doc: Document) -> None:
        self.documents[doc.id] = doc
        for key in INDEXED:
            self.indexes[key][getattr(doc, key)].append(doc.id)
        for detail in doc.details:
            self.details[detail.id] = detail
        for payment in doc.payments:
            self.payments[payment.id] = payment
        if doc.sales_id:
            self.by_sales_id[(doc.document_type_id, doc.sales_id)] = doc.id

    def set_state(self, doc: Document, state: int) -> None:
        """Keep the state index true (deletes are rare: the list surgery is fine)."""
        self.indexes["state"][doc.state].remove(doc.id)
        doc.state = state
        bisect.insort(self.indexes["state"][state], doc.id)
