"""How an instance stores its documents (packed, one marshalled tuple each), and the id lists that
index them."""

from __future__ import annotations

import bisect
import marshal
from array import array
from collections.abc import Iterator
from dataclasses import fields, replace
from operator import attrgetter
from typing import Any

from mockserver.providers.bsale.documents import (
    CORE_AMOUNTS,
    Detail,
    Document,
    DocumentTax,
    Payment,
    Reference,
)

# --- packed storage --------------------------------------------------------------------------------
# A stored document is one marshalled tuple: less than half of what its objects cost (100,000 fit in
# under 200 MB), and a few microseconds to unpack into a `Document` when read.

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
# informedSii changes once for every electronic document (1 → 0 when the SII answers), so it is kept
# beside the rows, a byte each: a row packed again would leave its old row's memory behind as a hole
# (0.7 KB an electronic document at 100,000), and would cost a packing
_INFORMED_AT = _DOC_FIELDS.index("informed_sii")


def _pack(doc: Document) -> bytes:
    row: list[Any] = [getattr(doc, name) for name in _DOC_FIELDS]
    for at, _, as_tuple in _PARTS:
        row[at] = tuple(map(as_tuple, row[at]))
    amounts = doc.amounts  # the four always there by position, the rare others by name
    others = {k: v for k, v in amounts.items() if k not in CORE_AMOUNTS}
    row[_AMOUNTS_AT] = (*(amounts[k] for k in CORE_AMOUNTS), others or None)
    row[_INFORMED_AT] = None  # kept beside the row
    return marshal.dumps(tuple(row))


def _unpack(packed: bytes, informed: int) -> Document:
    row = list(marshal.loads(packed))
    row[_INFORMED_AT] = informed
    for at, cls, _ in _PARTS:
        row[at] = tuple(cls(*part) for part in row[at])
    *core, others = row[_AMOUNTS_AT]
    row[_AMOUNTS_AT] = dict(zip(CORE_AMOUNTS, core, strict=True), **(others or {}))
    return Document(*row)


class Documents:
    """An instance's documents by id (ids are handed out in order, so a list holds them), packed.

    The last few hundred read stay unpacked, so a document read again and again (a client polling
    informedSii) is not unpacked each time, and so does the JSON they were last answered with (per
    base URL; see `rendered`). Documents are frozen: `add` stores a new one, `update` changes one and
    stores it back, in one call, and forgets its JSON."""

    __slots__ = ("_first", "_hot", "_informed", "_rendered", "_rows")
    HOT = 256
    RENDERINGS = 4  # base URLs a hot document keeps its JSON for (a client may vary its Host)

    def __init__(self) -> None:
        self._first = 0
        self._rows: list[bytes] = []
        self._informed = bytearray()
        self._hot: dict[int, Document] = {}
        self._rendered: dict[int, dict[str, bytes]] = {}

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """For a snapshot: the rows, not what is kept hot (rebuilt on the first reads)."""
        return None, {"_first": self._first, "_rows": self._rows, "_informed": self._informed}

    def __setstate__(self, state: tuple[Any, dict[str, Any]]) -> None:
        slots = state[1]
        self._first, self._rows, self._informed = slots["_first"], slots["_rows"], slots["_informed"]
        self._hot, self._rendered = {}, {}

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
            doc = _unpack(self._rows[at], self._informed[at])
            if len(self._hot) >= self.HOT:
                oldest = next(iter(self._hot))
                del self._hot[oldest]
                self._rendered.pop(oldest, None)
            self._hot[ident] = doc
        return doc

    def rendered(self, doc: Document, base: str) -> bytes | None:
        """The JSON `doc` was last answered with at `base`, if `doc` is the stored document as it
        stands (the one `get` answers: a copy read before an `update` is not)."""
        if self._hot.get(doc.id) is not doc:
            return None
        return self._rendered.get(doc.id, {}).get(base)

    def keep_rendered(self, doc: Document, base: str, body: bytes) -> None:
        """Keep `doc`'s JSON at `base` while it stays hot and unchanged (only the stored document's)."""
        if self._hot.get(doc.id) is not doc:
            return
        kept = self._rendered.setdefault(doc.id, {})
        if len(kept) >= self.RENDERINGS:
            kept.clear()
        kept[base] = body

    def newest(self, count: int) -> list[Document]:
        """The last `count` documents, newest first, read without displacing the ones kept hot."""
        last = self._first + len(self._rows) - 1
        return [
            self._hot.get(ident)
            or _unpack(self._rows[ident - self._first], self._informed[ident - self._first])
            for ident in range(last, max(self._first, last - count + 1) - 1, -1)
        ]

    def __getitem__(self, ident: int) -> Document:
        doc = self.get(ident)
        if doc is None:
            raise KeyError(ident)
        return doc

    def add(self, doc: Document) -> None:
        """Store a new document: the next id in sequence."""
        if not self._rows:
            self._first = doc.id
        if doc.id - self._first != len(self._rows):
            raise ValueError(f"document {doc.id} is out of sequence")
        self._rows.append(_pack(doc))
        self._informed.append(doc.informed_sii)

    def update(self, ident: int, **changes: Any) -> Document:
        """Change some of a stored document's fields and store it back; answers the changed document."""
        doc = replace(self[ident], **changes)
        at = ident - self._first
        if changes.keys() - {"informed_sii"}:
            self._rows[at] = _pack(doc)
        self._informed[at] = doc.informed_sii
        self._hot.pop(ident, None)
        self._rendered.pop(ident, None)
        return doc


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
