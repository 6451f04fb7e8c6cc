"""One Bsale company instance (cpnId): its seeded catalogue and its documents, with list indexes."""

from __future__ import annotations

import bisect
import copy
import json
import marshal
from array import array
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from functools import cache
from operator import attrgetter
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
    details: tuple[Detail, ...]
    references: tuple[Reference, ...]
    taxes: tuple[DocumentTax, ...]
    sellers: tuple[int, ...]
    attributes: tuple[tuple[int, str], ...]
    payments: tuple[Payment, ...]
    # the only fields that change after creation; a change is stored back with `Documents.put`
    state: int = 0
    informed_sii: int = 1
    response_msg_sii: str | None = None
    ted: tuple[str, str] | None = None  # the TED around its CAF block (see Instance.ted_of)
    shipping_id: int | None = None
    used: bool = False  # a detail was copied into another document: it can no longer be removed


# --- packed storage --------------------------------------------------------------------------------
# A stored document is one marshalled tuple: a third of what the objects cost (issue 8's 100,000
# documents), and a few microseconds to unpack into a `Document` when read.

# each of a document's collections: where it sits in the row, its class, and its fields as a tuple
_DOC_FIELDS = tuple(f.name for f in fields(Document))
_PARTS = tuple(
    (_DOC_FIELDS.index(name), cls, attrgetter(*(f.name for f in fields(cls))))
    for name, cls in (
        ("details", Detail),
        ("references", Reference),
        ("taxes", DocumentTax),
        ("payments", Payment),
    )
)
_AMOUNTS_AT = _DOC_FIELDS.index("amounts")


def _pack(doc: Document) -> bytes:
    row: list[Any] = [getattr(doc, name) for name in _DOC_FIELDS]
    for at, _, as_tuple in _PARTS:
        row[at] = tuple(map(as_tuple, row[at]))
    amounts = doc.amounts  # the four always there by position, the rare others by name
    others = {k: v for k, v in amounts.items() if k not in CORE_AMOUNTS}
    row[_AMOUNTS_AT] = (*(amounts[k] for k in CORE_AMOUNTS), others or None)
    return marshal.dumps(tuple(row))


def _unpack(packed: bytes) -> Document:
    row = list(marshal.loads(packed))
    for at, cls, _ in _PARTS:
        row[at] = tuple(cls(*part) for part in row[at])
    *core, others = row[_AMOUNTS_AT]
    row[_AMOUNTS_AT] = dict(zip(CORE_AMOUNTS, core, strict=True), **(others or {}))
    return Document(*row)


class Documents:
    """An instance's documents by id (ids are handed out in order, so a list holds them), packed.

    The last few hundred read stay unpacked, so a document read again and again (a client polling
    informedSii) is not unpacked each time. Whoever changes a document stores it back with `put`."""

    __slots__ = ("_first", "_hot", "_rows")
    HOT = 256

    def __init__(self) -> None:
        self._first = 0
        self._rows: list[bytes] = []
        self._hot: dict[int, Document] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._first, self._first + len(self._rows)))

    def get(self, ident: Any) -> Document | None:
        doc = self._hot.get(ident)
        if doc is None:
            at = ident - self._first if isinstance(ident, int) else -1
            if not 0 <= at < len(self._rows):
                return None
            doc = _unpack(self._rows[at])
            if len(self._hot) >= self.HOT:
                del self._hot[next(iter(self._hot))]  # the oldest read
            self._hot[ident] = doc
        return doc

    def __getitem__(self, ident: int) -> Document:
        doc = self.get(ident)
        if doc is None:
            raise KeyError(ident)
        return doc

    def put(self, doc: Document) -> None:
        if not self._rows:
            self._first = doc.id
        at = doc.id - self._first
        if at == len(self._rows):
            self._rows.append(_pack(doc))
        elif 0 <= at < len(self._rows):
            self._rows[at] = _pack(doc)
            self._hot.pop(doc.id, None)
        else:
            raise ValueError(f"document {doc.id} is out of sequence")


class Owners:
    """Which document a detail or payment (ids handed out in order) belongs to: 8 bytes each."""

    __slots__ = ("_documents",)

    def __init__(self) -> None:
        self._documents = array("q")

    def add(self, ident: int, document_id: int) -> None:
        if ident >= len(self._documents):
            self._documents.extend([0] * (ident + 1 - len(self._documents)))
        self._documents[ident] = document_id

    def get(self, ident: Any) -> int | None:
        if not isinstance(ident, int) or not 0 <= ident < len(self._documents):
            return None
        return self._documents[ident] or None

    def ids(self) -> list[int]:
        return [i for i, owner in enumerate(self._documents) if owner]


class Index:
    """A document field's values → the ids of the documents holding each, ascending. A value held
    by one document (most tokens and folios) keeps the bare id, not a list of one."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: dict[Any, int | list[int]] = {}

    def ids(self, value: Any) -> list[int]:
        held = self._ids.get(value)
        return [] if held is None else [held] if isinstance(held, int) else held

    def items(self) -> Iterator[tuple[Any, list[int]]]:
        return ((value, self.ids(value)) for value in self._ids)

    def add(self, value: Any, ident: int) -> None:
        held = self._ids.get(value)
        if held is None:
            self._ids[value] = ident
        elif isinstance(held, int):
            self._ids[value] = sorted((held, ident))
        else:
            bisect.insort(held, ident)

    def remove(self, value: Any, ident: int) -> None:
        held = self._ids[value]
        if isinstance(held, int):
            del self._ids[value]
        else:
            held.remove(ident)


# the filters that narrow most, kept as value → document ids (in creation order)
INDEXED = (
    "number",
    "token",
    "document_type_id",
    "client_id",
    "office_id",
    "code_sii",
    "emission_date",
    "expiration_date",
    "rcof_date",
    "state",
)


@dataclass
class Instance:
    cpn_id: int
    access_token: str
    records: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    documents: Documents = field(default_factory=Documents)
    detail_owners: Owners = field(default_factory=Owners)
    payment_owners: Owners = field(default_factory=Owners)
    shippings: dict[int, Shipping] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    indexes: dict[str, Index] = field(default_factory=lambda: {k: Index() for k in INDEXED})
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
        self.documents.put(doc)

    def ted_of(self, doc: Document) -> str | None:
        if doc.ted is None:
            return None
        head, tail = doc.ted
        return head + self.caf_blocks[doc.document_type_id].decode() + tail

    def add_document(self, doc: Document) -> None:
        self.documents.put(doc)
        for key in INDEXED:
            self.indexes[key].add(getattr(doc, key), doc.id)
        for detail in doc.details:
            self.detail_owners.add(detail.id, doc.id)
        for payment in doc.payments:
            self.payment_owners.add(payment.id, doc.id)
        if doc.sales_id:
            self.by_sales_id[(doc.document_type_id, doc.sales_id)] = doc.id

    def set_state(self, doc: Document, state: int) -> None:
        """Keep the state index true (deletes are rare: the list surgery is fine)."""
        self.indexes["state"].remove(doc.state, doc.id)
        doc.state = state
        self.indexes["state"].add(state, doc.id)
        self.documents.put(doc)

    def _part(self, owners: Owners, attribute: str, ident: Any) -> Any:
        document_id = owners.get(ident)
        doc = self.documents.get(document_id) if document_id else None
        return next((p for p in getattr(doc, attribute) if p.id == ident), None) if doc else None

    def detail(self, ident: Any) -> Detail | None:
        found: Detail | None = self._part(self.detail_owners, "details", ident)
        return found

    def payment(self, ident: Any) -> Payment | None:
        found: Payment | None = self._part(self.payment_owners, "payments", ident)
        return found
