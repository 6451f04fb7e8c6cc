"""POST /v1/documents.json: every variant the seed documents, with Bsale's own error messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from mockserver.providers.bsale import amounts as am
from mockserver.providers.bsale.catalogue import Client, DocumentType, Office, PaymentType, find
from mockserver.providers.bsale.documents import (
    Detail,
    Document,
    DocumentTax,
    Payment,
    Reference,
)
from mockserver.providers.bsale.instance import Instance
from mockserver.providers.bsale.lines import details as read_details
from mockserver.providers.bsale.lines import document_amounts, error

CLIENT_REQUIRED = "client attribute required : code,activity,address,city,municipality"
NO_FOLIOS = "does not have numbers available, check sii caf"
# magic value: a client with this RUT makes the SII reject the document (informedSii 2)
SII_REJECTS_CLIENT = "66666666-6"
BOLETAS = ("39", "41", "35", "38")
# kept as given, shown where Bsale shows them: the PDF's observation, an export DTE's customs data
EXTRAS = ("observation", "customsData")
CLIENT_FIELDS = ("code", "activity", "address", "city", "municipality")
# what a document type is for (its `use`): documents.json makes sales, liquidaciones and (leniently)
# guías; credit notes come from returns.json, and the debit notes that annul them from annulments
SALE, RETURN, DISPATCH, LIQUIDATION = 0, 1, 2, 3
DOCUMENT_USES = (SALE, DISPATCH, LIQUIDATION)


def midnight(moment: float) -> int:
    """Bsale's dates are midnight UTC of the day (no time zone applied)."""
    day = datetime.fromtimestamp(moment, UTC).date()
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _document_type(instance: Instance, body: dict[str, Any], uses: tuple[int, ...]) -> DocumentType:
    if "documentTypeId" in body:
        found = find(instance.catalogue.document_types, body["documentTypeId"])
    elif "codeSii" in body:
        code = str(body["codeSii"])
        found = next(
            (
                t
                for t in instance.catalogue.document_types.values()
                if t["codeSii"] == code and t["state"] == 0
            ),
            None,
        )
    else:
        found = None
    if found is None or found["state"] != 0 or found["use"] not in uses:
        raise error("invalid documentType")
    return found


def _client(
    instance: Instance, body: dict[str, Any], doc_type: DocumentType
) -> tuple[Client | None, dict[str, Any] | None]:
    """The document's client, or the new inline client it brings (created only on commit)."""
    if "clientId" in body:
        client = find(instance.catalogue.clients, body["clientId"])
        if client is None:
            raise error("invalid client")
        return client, None
    if isinstance(body.get("client"), dict):
        given = body["client"]
        if doc_type["useClient"] and not all(str(given.get(k) or "").strip() for k in CLIENT_FIELDS):
            raise error(CLIENT_REQUIRED)
        code = str(given.get("code") or "").strip()
        # Bsale stores RUTs as given and reuses the client with that code
        known = next((c for c in instance.catalogue.clients.values() if code and c["code"] == code), None)
        return (known, None) if known is not None else (None, given)
    if doc_type["useClient"]:
        raise error(CLIENT_REQUIRED)
    return None, None


def make_client(instance: Instance, given: dict[str, Any], now: float) -> Client:
    ident = instance.next_id("clients")
    client: Client = {
        "id": ident,
        "firstName": given.get("firstName", ""),
        "lastName": given.get("lastName", ""),
        "email": given.get("email", ""),
        "code": str(given.get("code") or ""),
        "phone": given.get("phone", ""),
        "company": given.get("company", ""),
        "note": "",
        "hasCredit": 0,
        "maxCredit": 0,
        "state": 0,
        "activity": given.get("activity", ""),
        "city": given.get("city", ""),
        "municipality": given.get("municipality", ""),
        "address": given.get("address", ""),
        "companyOrPerson": int(given.get("companyOrPerson", 0) or 0),
        "points": 0,
        "pointsUpdated": None,
        "sendDte": 1,
        "isForeigner": int(given.get("isForeigner", 0) or 0),
        "prestashopClienId": 0,
        "createdAt": int(now),
        "updatedAt": int(now),
        "addresses": [],
    }
    instance.catalogue.clients[ident] = client
    return client


def create(
    instance: Instance,
    body: dict[str, Any],
    *,
    now: float,
    token: str,
    user_id: int,
    uses: tuple[int, ...] = DOCUMENT_USES,
    code_ref: str = "",
    zero_lines: bool = False,
    default_payment: bool = True,
) -> tuple[Document, bool]:
    """The new document and True, or the earlier one with the same salesId and False.

    Everything is checked before anything changes: a refused document burns no folio, creates no
    client, moves no stock and changes no tax percentage. A credit or debit note says why it
    references its document (`code_ref`, the SII's CodRef), and a note that only fixes texts has
    lines of zero (`zero_lines`) and no payment (`default_payment`).
    """
    doc_type = _document_type(instance, body, uses)
    sales_id = body.get("salesId")
    if sales_id:
        earlier = instance.by_sales_id.get((doc_type["id"], str(sales_id)))
        if earlier is not None:
            return instance.documents[earlier], False
    office = (
        find(instance.catalogue.offices, body["officeId"])
        if "officeId" in body
        else _default(instance.catalogue.offices)
    )
    if office is None:
        raise error("invalid office")
    price_list_id = body.get("priceListId", office["defaultPriceListId"])
    price_list = find(instance.catalogue.price_lists, price_list_id)
    if price_list is None:
        raise error("price list not found")
    if price_list["state"] != 0:
        raise error("invalid price list")
    coin = find(instance.catalogue.coins, body.get("coinId", price_list["coinId"]))
    if coin is None:
        raise error("invalid coin")
    decimals = int(coin["decimals"])
    client, new_client = _client(instance, body, doc_type)
    address: Mapping[str, Any] | None = new_client if new_client is not None else client
    if "addressId" in body:
        addresses = client["addresses"] if client else []
        address = next((a for a in addresses if a["id"] == body["addressId"]), None)
        if address is None:
            raise error("invalid address")
    seller_id = body.get("sellerId", user_id)
    if find(instance.catalogue.users, seller_id) is None:
        raise error("invalid seller")
    electronic = bool(doc_type["isElectronicDocument"])
    tax_updates: dict[int, Decimal] = {}
    given_lines = body.get("details") or []
    lines, details = read_details(
        instance, given_lines, price_list, electronic and not zero_lines, tax_updates
    )
    totals = am.totals(lines, decimals, exempt_document=bool(doc_type["isExempt"]))
    doc_amounts = document_amounts(body, totals, decimals)
    references = [_reference(instance, r, code_ref) for r in body.get("references") or []]
    attributes = []
    for attr in body.get("dynamicAttributes") or []:
        if find(instance.catalogue.dynamic_attributes, attr.get("dynamicAttributeId")) is None:
            raise error("invalid dynamic attribute")
        attributes.append((int(attr["dynamicAttributeId"]), str(attr.get("description", ""))))
    emission = int(body.get("emissionDate") or midnight(now))
    payments = (
        _payments(instance, body, doc_amounts["totalAmount"], emission, now)
        if default_payment or body.get("payments")
        else []
    )
    if body.get("dispatch"):
        _check_stock(instance, details, office["id"])
    folio = _folio(instance, doc_type, check_only=True)

    # --- commit: nothing below refuses ----------------------------------------------------------
    if new_client is not None:
        client = make_client(instance, new_client, now)
    for tax_id, pct in tax_updates.items():
        instance.catalogue.taxes[tax_id]["percentage"] = f"{float(pct):.1f}"
    folio = _folio(instance, doc_type)
    doc_id = instance.next_id("documents")
    for position, detail in enumerate(details):
        detail.id, detail.document_id, detail.line_number = instance.next_id("details"), doc_id, position
        source_id = instance.detail_owners.get(detail.related_detail_id)
        if source_id is not None:
            instance.documents.update(source_id, used=True)
    for reference in references:
        reference.id = instance.next_id("references")
    for payment in payments:
        payment.id, payment.document_id = instance.next_id("payments"), doc_id
    document = Document(
        id=doc_id,
        document_type_id=doc_type["id"],
        code_sii=doc_type["codeSii"],
        office_id=office["id"],
        client_id=client["id"] if client else None,
        user_id=user_id,
        coin_id=coin["id"],
        price_list_id=price_list["id"],
        emission_date=emission,
        expiration_date=int(body.get("expirationDate") or emission),
        generation_date=int(now),
        rcof_date=emission,
        number=folio,
        amounts=doc_amounts,
        token=token,
        electronic=electronic,
        address=(address or {}).get("address"),
        municipality=(address or {}).get("municipality"),
        city=(address or {}).get("city"),
        sales_id=str(sales_id) if sales_id else None,
        sale_condition_id=int(body.get("saleConditionId", 1)),
        details=tuple(details),
        references=tuple(references),
        taxes=tuple(
            DocumentTax(instance.next_id("document_taxes"), tax_id, am.number(amount, decimals), 0)
            for tax_id, amount in totals.by_tax.items()
        ),
        sellers=(seller_id,),
        attributes=tuple(attributes),
        payments=tuple(payments),
        informed_sii=1 if electronic else 0,
        extras={k: body[k] for k in EXTRAS if body.get(k)} or None,
    )
    return document, True


def _check_stock(instance: Instance, details: list[Detail], office_id: int) -> None:
    """`dispatch: 1` needs stock at the office for every product line (free comments are not stocked)."""
    wanted: dict[int, float] = {}
    for detail in details:
        if detail.variant_id is not None:
            wanted[detail.variant_id] = wanted.get(detail.variant_id, 0) + detail.quantity
    short = []
    for variant_id, quantity in wanted.items():
        variant = instance.catalogue.variants[variant_id]
        if variant["unlimitedStock"] or variant["allowNegativeStock"]:
            continue
        if variant["stock"].get(str(office_id), 0) < quantity:
            short.append(variant["code"])
    if short:
        raise error(f"There is no stock for this products: {','.join(short)}")


def _folio(instance: Instance, doc_type: DocumentType, *, check_only: bool = False) -> int:
    caf = doc_type.get("caf")
    if caf is None:  # not electronic: the type's own correlative from its initial number
        key = f"folio:{doc_type['id']}"
        current = instance.sequences[key] or int(doc_type["initialNumber"]) - 1
        if not check_only:
            instance.sequences[key] = current + 1
        return current + 1
    if caf["lastNumberUsed"] >= caf["endNumber"]:
        raise error(NO_FOLIOS)
    folio = max(caf["lastNumberUsed"] + 1, caf["startNumber"])
    if not check_only:
        caf["lastNumberUsed"] = folio
    return int(folio)


def _reference(instance: Instance, given: dict[str, Any], code_ref: str) -> Reference:
    code = str(given.get("codeSii", ""))
    dte = next((d for d in instance.catalogue.dte_codes.values() if d["codeSii"] == code), None)
    if dte is None:
        raise error("invalid reference codeSii")
    return Reference(
        0,
        int(given.get("referenceDate") or 0),
        str(given.get("number", "")),
        str(given.get("reason", "")),
        dte["id"],
        code,
        code_ref,
    )


def _payments(
    instance: Instance, body: dict[str, Any], total: float, emission: int, now: float
) -> list[Payment]:
    given = body.get("payments")
    if not given:
        # no payments: the whole total on the default payment type
        given = [
            {
                "paymentTypeId": _default(instance.catalogue.payment_types)["id"],
                "amount": total,
                "recordDate": emission,
            }
        ]
    payments = []
    for raw in given:
        if find(instance.catalogue.payment_types, raw.get("paymentTypeId")) is None:
            raise error("invalid payment type")
        payments.append(
            Payment(
                0,
                0,
                int(raw["paymentTypeId"]),
                float(raw.get("amount", 0)),
                int(raw.get("recordDate") or emission),
                int(now),
            )
        )
    return payments


R = TypeVar("R", Office, PaymentType)


def _default(table: dict[int, R]) -> R:
    """The record marked `default` (the main office, the usual payment type), else the first."""
    records = table.values()
    return next((r for r in records if r.get("default")), next(iter(records)))
