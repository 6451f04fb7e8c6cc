"""Bsale's JSON: hrefs from the mock's own base URL, relation stubs, `expand`, `fields`, list envelopes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mockserver.core.plugin import fast_json_bytes
from mockserver.providers.bsale.documents import ZERO_AMOUNTS, Detail, Document, Payment
from mockserver.providers.bsale.instance import Instance

DEFAULT_LIMIT, MAX_LIMIT = 25, 50
ACCEPTED_MSG = "Proceso Finalizado Correctamente!"
REJECTED_MSG = "DTE Rechazado: RUT del receptor no autorizado (mockserver)"
# the SII's answer follows from informedSii alone, so a declared document is stored back at the size it
# had (a row that grew would leave its old row's memory as a hole: 0.7 KB a document at 100,000)
SII_MESSAGES = {0: ACCEPTED_MSG, 2: REJECTED_MSG}
# fixture keys that are the mock's bookkeeping, never part of a resource's JSON
PRIVATE = {
    "default",
    "defaultPriceListId",
    "prices",
    "stock",
    "productId",
    "coinId",
    "bookTypeId",
    "caf",
    "addresses",
    "api",
    "office",
    "cost",
    "forDocumentTypeIds",
    "receptions",
}
# to-one relations of catalogue records: relation name → (fixture key, collection)
TO_ONE = {
    "document_types": {"book_type": ("bookTypeId", "book_types")},
    "price_lists": {"coin": ("coinId", "coins")},
    "variants": {"product": ("productId", "products")},
    "users": {"office": ("office", "offices")},
}


def bracket_list(value: str | None) -> list[str]:
    """`[a,b]`, `a,b` or `a` → ["a", "b"]; Bsale documents both forms. The quoted JSON form an SDK sends,
    `["a","b"]`, is read the same, as a lenient parser would."""
    if value is None:
        return []
    return [
        v.strip().strip("\"'").strip() for v in value.strip().strip("[]").split(",") if v.strip().strip("\"'")
    ]


def envelope(
    href: str,
    items: list[dict[str, Any]],
    count: int,
    limit: int,
    offset: int,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"href": href, "count": count, "limit": limit, "offset": offset, "items": items}
    if offset + limit < count:
        params = {**(query or {}), "limit": str(limit), "offset": str(offset + limit)}
        out["next"] = href + "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return out


def select_fields(item: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """`fields=[a,b]`: only those attributes, matched case-insensitively; `href` stays."""
    wanted = {f.lower() for f in fields}
    return {k: v for k, v in item.items() if k == "href" or k.lower() in wanted}


class Renderer:
    """Renders one instance's resources for one request (its base URL and its `expand`)."""

    def __init__(self, instance: Instance, base: str, expand: Iterable[str] = ()) -> None:
        self.instance = instance
        self.base = base
        self.expand = frozenset(expand)

    def href(self, path: str) -> str:
        return f"{self.base}/v1/{path}.json"

    def stub(self, kind: str, ident: Any) -> dict[str, Any] | None:
        if ident is None:
            return None
        relation = _RELATION_NAMES.get(kind, kind)
        if relation in self.expand:
            record = self.instance.get(kind, ident)
            if record is not None:
                return self.record(kind, record)
        return {"href": self.href(f"{kind}/{ident}"), "id": str(ident)}

    def document_stub(self, document_id: int, relation: str) -> dict[str, Any]:
        """A relation to a document (a return's credit note, a shipping's guide): `{href, id}`, or the
        whole document when `relation` is expanded."""
        if relation in self.expand:
            return self.document(self.instance.documents[document_id])
        return {"href": self.href(f"documents/{document_id}"), "id": str(document_id)}

    def collection(self, name: str, path: str, items: Callable[[], list[dict[str, Any]]]) -> dict[str, Any]:
        """A to-many relation: `{href}`, or the embedded first page when `name` is expanded."""
        href = self.href(path)
        if name not in self.expand:
            return {"href": href}
        all_items = items()
        return envelope(href, all_items[:DEFAULT_LIMIT], len(all_items), DEFAULT_LIMIT, 0)

    # --- catalogue records ---------------------------------------------------------------------------

    def record(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"href": self.href(f"{kind}/{record['id']}")}
        out.update((k, v) for k, v in record.items() if k not in PRIVATE)
        for name, (key, target) in TO_ONE.get(kind, {}).items():
            out[name] = self.stub(target, record.get(key))
        if kind == "price_lists":
            out["details"] = self.collection(
                "details", f"price_lists/{record['id']}/details", lambda: self.price_list_details(record)
            )
        if kind == "clients":
            cid = record["id"]
            out["contacts"] = {"href": self.href(f"clients/{cid}/contacts")}
            out["attributes"] = {"href": self.href(f"clients/{cid}/attributes")}
            out["addresses"] = self.collection(
                "addresses",
                f"clients/{cid}/addresses",
                lambda: [self.address(record, a) for a in record["addresses"]],
            )
        if kind == "document_types":
            out.pop("caf", None)
        return out

    def address(self, client: dict[str, Any], address: dict[str, Any]) -> dict[str, Any]:
        return {"href": self.href(f"clients/{client['id']}/addresses/{address['id']}"), **address}

    def price_list_details(self, price_list: dict[str, Any]) -> list[dict[str, Any]]:
        iva = 1 + float(self.instance.catalogue.taxes[1]["percentage"]) / 100
        out = []
        for variant in self.instance.catalogue.variants.values():
            value = variant["prices"].get(str(price_list["id"]))
            if value is None:
                continue
            out.append(
                {
                    "href": self.href(f"price_lists/{price_list['id']}/details/{variant['id']}"),
                    "id": variant["id"],
                    "variantValue": value,
                    "variantValueWithTaxes": round(value * iva, 2),
                    "variant": self.stub("variants", variant["id"]),
                }
            )
        return out

    # --- documents -----------------------------------------------------------------------------------

    def files(self, doc: Document) -> tuple[str, str | None]:
        """The document's PDF (its public view) and, for an electronic one, its XML."""
        base, cpn, tok = self.base, self.instance.cpn_id, doc.token
        return f"{base}/view/{cpn}/{tok}.pdf", f"{base}/v1/{cpn}/files/{tok}.xml" if doc.electronic else None

    def document_json(self, doc: Document) -> bytes | None:
        """`document(doc)` as `json_response` encodes it. Without `expand` the JSON depends on the stored
        document and the base URL alone, so it is kept until the document changes (the store forgets it
        on every write); an expanded one reads the catalogue, which changes on its own, and is encoded
        every time. None where orjson cannot write it (an integer beyond 64 bits): encode the dict."""
        documents = self.instance.documents
        body = None if self.expand else documents.rendered(doc, self.base)
        if body is None:
            body = fast_json_bytes(self.document(doc))
            if body is None:
                return None
            if not self.expand:
                documents.keep_rendered(doc, self.base, body)
        return body

    def document(self, doc: Document) -> dict[str, Any]:
        base, cpn, tok = self.base, self.instance.cpn_id, doc.token
        pdf, xml = self.files(doc)
        out: dict[str, Any] = {
            "href": self.href(f"documents/{doc.id}"),
            "id": doc.id,
            "emissionDate": doc.emission_date,
            "expirationDate": doc.expiration_date,
            "generationDate": doc.generation_date,
            "rcofDate": doc.rcof_date,
            "number": doc.number,
            "trackingNumber": "",
            **ZERO_AMOUNTS,
            **doc.amounts,
            "urlTimbre": f"{base}/timbres/{cpn}/{tok}.png" if doc.ted else None,
            "ted": self.instance.ted_of(doc),
            "urlPublicView": f"{base}/view/{cpn}/{tok}?sfd=99",
            "urlPdf": f"{base}/view/{cpn}/{tok}.pdf?sfd=99",
            "urlPublicViewOriginal": f"{base}/view/{cpn}/{tok}",
            "urlPdfOriginal": pdf,
            "token": tok,
            "state": doc.state,
            "commercialState": 0,
            "userId": doc.user_id,
            "urlXml": xml,
            "address": doc.address,
            "municipality": doc.municipality,
            "city": doc.city,
            "salesId": doc.sales_id,
            "informedSii": doc.informed_sii,
            "responseMsgSii": SII_MESSAGES.get(doc.informed_sii),
            "document_type": self.stub("document_types", doc.document_type_id),
            "client": self.stub("clients", doc.client_id),
            "office": self.stub("offices", doc.office_id),
            "user": self.stub("users", doc.user_id),
            "coin": self.stub("coins", doc.coin_id),
        }
        prefix = f"documents/{doc.id}"
        out["references"] = self.collection(
            "references", f"{prefix}/references", lambda: [self.reference(doc, r) for r in doc.references]
        )
        out["document_taxes"] = self.collection(
            "document_taxes",
            f"{prefix}/document_taxes",
            lambda: [self.document_tax(doc, t) for t in doc.taxes],
        )
        out["details"] = self.collection(
            "details", f"{prefix}/details", lambda: [self.detail(doc, d) for d in doc.details]
        )
        out["sellers"] = self.collection(
            "sellers", f"{prefix}/sellers", lambda: [self.seller(u) for u in doc.sellers]
        )
        out["attributes"] = self.collection(
            "attributes", f"{prefix}/attributes", lambda: [self.attribute(a) for a in doc.attributes]
        )
        if "payments" in self.expand:
            out["payments"] = [self.payment(p) for p in doc.payments]
        return out

    def detail(self, doc: Document, d: Detail) -> dict[str, Any]:
        variant = self.instance.get("variants", d.variant_id) if d.variant_id else None
        variant_json: dict[str, Any] | None = None
        if variant is not None:
            if "variant" in self.expand:
                variant_json = self.record("variants", variant)
            else:
                variant_json = {
                    "href": self.href(f"variants/{variant['id']}"),
                    "id": variant["id"],
                    "description": variant["description"],
                    "code": variant["code"],
                }
        return {
            "href": self.href(f"documents/{doc.id}/details/{d.id}"),
            "id": d.id,
            "lineNumber": d.line_number,
            "quantity": d.quantity,
            "netUnitValue": d.net_unit_value,
            "totalUnitValue": d.total_unit_value,
            "netAmount": d.net_amount,
            "taxAmount": d.tax_amount,
            "totalAmount": d.total_amount,
            "netDiscount": d.net_discount,
            "totalDiscount": d.total_discount,
            "variant": variant_json,
            "note": d.note,
            "relatedDetailId": d.related_detail_id,
        }

    def reference(self, doc: Document, r: Any) -> dict[str, Any]:
        return {
            "href": self.href(f"documents/{doc.id}/references/{r.id}"),
            "id": r.id,
            "referenceDate": r.reference_date,
            "number": r.number,
            "reason": r.reason,
            "dte_code": self.stub("dte_codes", r.dte_code_id),
        }

    def document_tax(self, doc: Document, t: Any) -> dict[str, Any]:
        return {
            "href": self.href(f"documents/{doc.id}/document_taxes/{t.id}"),
            "id": t.id,
            "totalAmount": t.total_amount,
            "exemptAmount": t.exempt_amount,
            "tax": self.stub("taxes", t.tax_id),
        }

    def seller(self, user_id: int) -> dict[str, Any]:
        user = self.instance.catalogue.users[user_id]
        return {
            "href": self.href(f"users/{user_id}"),
            "id": user_id,
            "firstName": user["firstName"],
            "lastName": user["lastName"],
        }

    def attribute(self, attribute: tuple[int, str]) -> dict[str, Any]:
        record = self.instance.catalogue.dynamic_attributes[attribute[0]]
        return {
            "href": self.href(f"dynamic_attributes/{attribute[0]}"),
            "id": attribute[0],
            "name": record["name"],
            "value": attribute[1],
        }

    def payment(self, p: Payment) -> dict[str, Any]:
        return {
            "href": self.href(f"payments/{p.id}"),
            "id": p.id,
            "recordDate": p.record_date,
            "amount": p.amount,
            "operationNumber": "",
            "accountingDate": "",
            "checkDate": 0,
            "checkNumber": 0,
            "checkAmount": 0,
            "checkTaken": 0,
            "isCreditPayment": 0,
            "createdAt": p.created_at,
            "state": 0,
            "payment_type": self.stub("payment_types", p.payment_type_id),
            "document": {"href": self.href(f"documents/{p.document_id}"), "id": str(p.document_id)},
        }


_RELATION_NAMES = {
    "document_types": "document_type",
    "clients": "client",
    "offices": "office",
    "users": "user",
    "coins": "coin",
    "variants": "variant",
    "products": "product",
    "book_types": "book_type",
    "payment_types": "payment_type",
    "taxes": "tax",
    "dte_codes": "dte_code",
}
