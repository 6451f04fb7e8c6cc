"""Filters (every one the seed lists for documents, and those Bsale documents for its other lists),
summaries and costs."""

from __future__ import annotations

import bisect
import itertools
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.providers.bsale.documents import Document
from mockserver.providers.bsale.instance import Instance
from mockserver.providers.bsale.render import bracket_list

Predicate = Callable[[Document], bool]
log = logging.getLogger("mockserver.bsale")


def _ints(value: str, name: str) -> list[int]:
    try:
        return [int(v) for v in bracket_list(value)]
    except ValueError:
        raise MockError(Kind.VALIDATION, f"invalid {name}") from None


def _range(value: str, name: str) -> tuple[int, int]:
    bounds = _ints(value, name)
    if len(bounds) != 2:
        raise MockError(Kind.VALIDATION, f"invalid {name}")
    return bounds[0], bounds[1]


def _amount_equals(value: str) -> Callable[[Document], bool]:
    wanted = float(value)
    return lambda d: d.amounts["totalAmount"] == wanted


# an indexed filter: the id lists (each ascending) of the values it accepts
Narrowing = list[list[int]]


def _size(narrowing: Narrowing) -> int:
    return sum(len(ids) for ids in narrowing)


def _holds(ascending: list[int], ident: int) -> bool:
    at = bisect.bisect_left(ascending, ident)
    return at < len(ascending) and ascending[at] == ident


def matching_ids(instance: Instance, query: Mapping[str, str]) -> list[int]:
    """Ids of the documents matching every filter, ascending. The indexed filter with the fewest
    documents picks the candidates, the other indexed ones narrow them by membership, and the rest
    are checked on the documents left."""
    q = {k.lower(): v for k, v in query.items()}
    index = instance.indexes
    narrowing: list[Narrowing] = []

    def equal(key: str, values: list[Any]) -> None:
        narrowing.append([index[key].ids(v) for v in set(values)])

    for param, key in (
        ("number", "number"),
        ("documenttypeid", "document_type_id"),
        ("clientid", "client_id"),
        ("officeid", "office_id"),
        ("emissiondate", "emission_date"),
        ("expirationdate", "expiration_date"),
        ("rcofdate", "rcof_date"),
        ("state", "state"),
    ):
        if param in q:
            equal(key, _ints(q[param], param))
    for param, key in (("token", "token"), ("codesii", "code_sii")):
        if param in q:
            equal(key, bracket_list(q[param]))
    for param, key in (("emissiondaterange", "emission_date"), ("rcofdaterange", "rcof_date")):
        if param in q:
            lo, hi = _range(q[param], param)
            narrowing.append([ids for day, ids in index[key].items() if lo <= day <= hi])

    preds: list[Predicate] = []
    if "generationdaterange" in q:
        glo, ghi = _range(q["generationdaterange"], "generationdaterange")
        preds.append(lambda d: glo <= d.generation_date <= ghi)
    if "clientcode" in q:
        codes = set(bracket_list(q["clientcode"]))
        client_ids = {c["id"] for c in instance.catalogue.clients.values() if c["code"] in codes}
        preds.append(lambda d: d.client_id in client_ids)
    if "saleconditionid" in q:
        conditions = set(_ints(q["saleconditionid"], "saleconditionid"))
        preds.append(lambda d: d.sale_condition_id in conditions)
    if "informedsii" in q:
        informed = set(_ints(q["informedsii"], "informedsii"))
        preds.append(lambda d: d.informed_sii in informed)
    if "totalamount" in q:
        try:
            preds.append(_amount_equals(q["totalamount"]))
        except ValueError:
            raise MockError(Kind.VALIDATION, "invalid totalamount") from None
    if "referencecode" in q:
        ref_codes = set(bracket_list(q["referencecode"]))
        preds.append(lambda d: any(r.code_sii in ref_codes for r in d.references))
    if "referencenumber" in q:
        ref_numbers = set(bracket_list(q["referencenumber"]))
        preds.append(lambda d: any(r.number in ref_numbers for r in d.references))
    if "detailid" in q:
        detail_ids = _ints(q["detailid"], "detailid")
        owners = {instance.detail_owners.get(i) for i in detail_ids}
        preds.append(lambda d: d.id in owners)

    if narrowing:
        narrowing.sort(key=_size)
        first = narrowing[0]
        ids = first[0] if len(first) == 1 else sorted(itertools.chain.from_iterable(first))
        for other in narrowing[1:]:
            if len(ids) * len(other) * 8 < _size(other):
                # few candidates against a big filter: binary searches in its lists beat building a set
                ids = [i for i in ids if any(_holds(held, i) for held in other)]
            else:
                keep = set().union(*other)
                ids = [i for i in ids if i in keep]
    else:
        ids = list(instance.documents)
    if not preds:
        return ids
    documents = instance.documents
    if len(preds) == 1:
        test = preds[0]
        return [i for i in ids if test(documents[i])]
    return [i for i in ids if all(p(documents[i]) for p in preds)]


def filter_documents(instance: Instance, query: Mapping[str, str]) -> list[Document]:
    return [instance.documents[i] for i in matching_ids(instance, query)]


def _month_year(moment: int) -> tuple[int, int]:
    day = datetime.fromtimestamp(moment, UTC)
    return day.month, day.year


def summary(instance: Instance, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """Grouped by document type, office and month; one row per document with `perdocument=1`."""
    per_document = query.get("perdocument") in ("1", "true")
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for doc in filter_documents(instance, {k: v for k, v in query.items() if k.lower() != "perdocument"}):
        doc_type = instance.catalogue.document_types[doc.document_type_id]
        office = instance.catalogue.offices[doc.office_id]
        month, year = _month_year(doc.emission_date)
        key: tuple[Any, ...] = (
            (doc.id,) if per_document else (doc.document_type_id, doc.office_id, month, year)
        )
        row = groups.get(key)
        if row is None:
            row = groups[key] = {
                "generationDate": "",
                "emissionDate": "",
                "documentTypeName": doc_type["name"],
                "codeSii": doc_type["codeSii"],
                "month": month,
                "year": year,
                "officeId": office["id"],
                "officeName": office["name"],
                "officeCostCenter": office["costCenter"],
                "count": 0,
                "totalNetAmount": 0,
                "totalTaxAmount": 0,
                "totalAmount": 0,
                "totalExemptAmount": 0,
                "taxes": {},
                "details": {"": 0},
            }
            if per_document:
                row["documentId"], row["documentNumber"] = doc.id, doc.number
        row["count"] += 1
        row["totalNetAmount"] += doc.amounts["netAmount"]
        row["totalTaxAmount"] += doc.amounts["taxAmount"]
        row["totalAmount"] += doc.amounts["totalAmount"]
        row["totalExemptAmount"] += doc.amounts["exemptAmount"]
        row["details"][""] += doc.amounts["netAmount"]
        for tax in doc.taxes:
            row["taxes"][tax.tax_id] = row["taxes"].get(tax.tax_id, 0) + tax.total_amount
    rows = []
    for row in groups.values():
        row["taxes"] = [
            {"taxId": tax_id, "taxName": instance.catalogue.taxes[tax_id]["name"], "taxAmount": amount}
            for tax_id, amount in row["taxes"].items()
        ]
        row["details"] = [
            {"itemLedgerAccount": account, "totalNetAmount": amount}
            for account, amount in row["details"].items()
        ]
        rows.append(row)
    return rows


def ticket_summary(instance: Instance, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """Electronic boletas (39, 41) by type within an RCOF date range."""
    filters = {"codesii": "[39,41]", **{k: v for k, v in query.items() if k.lower() == "rcofdaterange"}}
    rows: dict[str, dict[str, Any]] = {}
    for doc in filter_documents(instance, filters):
        doc_type = instance.catalogue.document_types[doc.document_type_id]
        row = rows.setdefault(
            doc.code_sii,
            {
                "codeSii": doc.code_sii,
                "documentTypeName": doc_type["name"],
                "count": 0,
                "totalNetAmount": 0,
                "totalExemptAmount": 0,
                "totalIvaAmount": 0,
                "totalAmount": 0,
            },
        )
        row["count"] += 1
        row["totalNetAmount"] += doc.amounts["netAmount"]
        row["totalExemptAmount"] += doc.amounts["exemptAmount"]
        row["totalIvaAmount"] += doc.amounts["taxAmount"]
        row["totalAmount"] += doc.amounts["totalAmount"]
    return list(rows.values())


# the filters Bsale documents for each resource (bsale-api.md); each is a record field, case aside
FILTERS: dict[str, tuple[str, ...]] = {
    "document_types": (
        "name",
        "codesii",
        "ledgeraccount",
        "booktypeid",
        "iselectronicdocument",
        "issalesnote",
        "state",
    ),
    "clients": ("code", "firstname", "lastname", "email", "paymenttypeid", "salesconditionid", "state"),
    "offices": ("name", "address", "country", "city", "municipality", "costcenter", "state"),
    "price_lists": ("name", "coinid", "state"),
    "variants": ("description", "barcode", "code", "serialnumber", "productid", "state"),
    "coins": ("name", "symbol", "state", "default"),
    "dte_codes": ("name", "codesii", "state"),
    "price_list_details": ("variantid", "code", "barcode"),
}
OTHER_FILTERS = ("name", "state")  # what every other list takes
PAGING = frozenset({"limit", "offset", "fields", "expand"})
PARAM_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,64}")


def _field(record: dict[str, Any], param: str) -> Any:
    """The record's value for a lowercase filter: `firstname` is `firstName`, `productid` `productId`."""
    key = next((k for k in record if k.lower() == param), None)
    return record.get(key) if key is not None else None


def _text(value: Any) -> str:
    return "" if value is None else str(value).lower()


def filtered(call: Call, kind: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records whose fields equal every documented filter the query gives (as text, case aside); a
    parameter the resource does not document is named in `X-Mock-Ignored-Params` and the log, never
    passed over unnoticed."""
    documented = FILTERS.get(kind, OTHER_FILTERS)
    ignored = [p for p in call.request.query if p not in documented and p not in PAGING]
    if ignored:
        # named back only as plain names: a header never carries what a client could inject
        shown = [p for p in ignored if PARAM_NAME.fullmatch(p)][:20]
        call.extra_headers["X-Mock-Ignored-Params"] = ",".join(shown) or "(unprintable)"
        log.info(
            "bsale %s: %s not a filter Bsale documents; ignored", kind, ", ".join(map(repr, ignored[:20]))
        )
    for param in documented:
        if param in call.request.query:
            wanted = call.request.query[param].strip().lower()
            records = [r for r in records if _text(_field(r, param)) == wanted]
    return records
