"""One Bsale company instance (cpnId): its seeded catalogue, its documents and their indexes."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mockserver.core.services.lifecycle import Track
from mockserver.paths import FIXTURES
from mockserver.providers.bsale.catalogue import KINDS, Catalogue
from mockserver.providers.bsale.documents import Detail, Document, Payment, Return, Shipping, StockMove
from mockserver.providers.bsale.store import Documents, Index, Owners


@cache
def _seed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "bsale" / "instance.json").read_text(encoding="utf-8"))
    return data


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
    catalogue: Catalogue
    documents: Documents = field(default_factory=Documents)
    detail_owners: Owners = field(default_factory=Owners)
    payment_owners: Owners = field(default_factory=Owners)
    shippings: dict[int, Shipping] = field(default_factory=dict)
    returns: dict[int, Return] = field(default_factory=dict)
    # receptions and consumptions, by kind then id
    stock_moves: dict[str, dict[int, StockMove]] = field(default_factory=dict)
    # how much of each sale line credit notes have given back, by detail id
    returned: dict[int, float] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    indexes: dict[str, Index] = field(default_factory=lambda: {k: Index() for k in INDEXED})
    by_sales_id: dict[tuple[int, str], int] = field(default_factory=dict)
    company: dict[str, Any] = field(default_factory=dict)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)
    # the CAF block of a TED (its DA and FRMA) is the same for every document of a type: signed once
    caf_blocks: dict[int, bytes] = field(default_factory=dict)
    # the lifecycle of each SII declaration still pending, by document id (a read polls it)
    sii_tracks: dict[int, Track] = field(default_factory=dict)

    @classmethod
    def seeded(cls, cpn_id: int, access_token: str) -> Instance:
        seed = _seed()
        instance = cls(cpn_id, access_token, Catalogue.from_seed(seed))
        for name in sorted(KINDS):
            instance.sequences[name] = max(instance.catalogue.table(name), default=0)
        addresses = [a for c in seed["clients"] for a in c.get("addresses", [])]
        instance.sequences["addresses"] = max((a["id"] for a in addresses), default=0)
        instance.company = dict(seed["company"])
        return instance

    def next_id(self, kind: str) -> int:
        self.sequences[kind] += 1
        return self.sequences[kind]

    def api_user(self) -> int:
        """The user the API acts as (the one the access token belongs to)."""
        return next(u["id"] for u in self.catalogue.users.values() if u.get("api"))

    def get(self, kind: str, ident: Any) -> dict[str, Any] | None:
        """A catalogue record of any kind by id (an int or a numeric string), or None."""
        try:
            return self.catalogue.table(kind).get(int(ident))
        except (TypeError, ValueError):
            return None

    def ted_parts(self, doc: Document, ted: str) -> tuple[str, str]:
        """A document's TED as it is kept: without its CAF block, which every document of its type
        shares (700 of its 1,600 characters)."""
        head, found, tail = ted.partition(self.caf_blocks[doc.document_type_id].decode())
        if not found:
            raise ValueError("the TED does not hold its document type's CAF block")
        return head, tail

    def ted_of(self, doc: Document) -> str | None:
        if doc.ted is None:
            return None
        head, tail = doc.ted
        return head + self.caf_blocks[doc.document_type_id].decode() + tail

    def add_document(self, doc: Document) -> None:
        self.documents.add(doc)
        for key in INDEXED:
            self.indexes[key].add(getattr(doc, key), doc.id)
        for detail in doc.details:
            self.detail_owners.add(detail.id, doc.id)
        for payment in doc.payments:
            self.payment_owners.add(payment.id, doc.id)
        if doc.sales_id:
            self.by_sales_id[(doc.document_type_id, doc.sales_id)] = doc.id

    def set_state(self, doc: Document, state: int) -> Document:
        """Keep the state index true (deletes are rare: the list surgery is fine)."""
        self.indexes["state"].remove(doc.state, doc.id)
        self.indexes["state"].add(state, doc.id)
        return self.documents.update(doc.id, state=state)

    def _owner(self, owners: Owners, ident: Any) -> Document | None:
        document_id = owners.get(ident)
        return self.documents.get(document_id) if document_id else None

    def detail(self, ident: Any) -> Detail | None:
        doc = self._owner(self.detail_owners, ident)
        return next((d for d in doc.details if d.id == ident), None) if doc else None

    def payment(self, ident: Any) -> Payment | None:
        doc = self._owner(self.payment_owners, ident)
        return next((p for p in doc.payments if p.id == ident), None) if doc else None
