"""POST /v1/documents.json: every variant the seed documents, with Bsale's own error messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mockserver.core.errors import Kind, MockError
from mockserver.providers.bsale import amounts as am
from mockserver.providers.bsale.documents import (
    CORE_AMOUNTS,
    Detail,
    Document,
    DocumentTax,
    Payment,
    Reference,
)
from mockserver.providers.bsale.instance import Instance

CLIENT_REQUIRED = "client attribute required : code,activity,address,city,municipality"
NO_FOLIOS = "does not have numbers available, check sii caf"
# magic value: a client with this RUT makes the SII reject the document (informedSii 2)
SII_REJECTS_CLIENT = "66666666-6"
BOLETAS = ("39", "41", "35", "38")
CLIENT_FIELDS = ("code", "activity", "address", "city", "municipality")


def error(message: str) -> MockError:
    return MockError(Kind.VALIDATION, message)


def midnight(moment: float) -> int:
    """Bsale's dates are midnight UTC of the day (no time zone applied)."""
    day = datetime.fromtimestamp(moment, UTC).date()
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _decimal(value: Any, message: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise error(message) from None
    if not result.is_finite():
        raise error(message)
    return result


def _document_type(instance: Instance, body: dict[str, Any]) -> dict[str, Any]:
    if "documentTypeId" in body:
        found = instance.get("document_types", body["documentTypeId"])
    elif "codeSii" in body:
        code = str(body["codeSii"])
        found = next(
            (
                t
                for t in instance.records["document_types"].values()
                if t["codeSii"] == code and t["state"] == 0
            ),
            None,
        )
    else:
        found = None
    if found is None or found["state"] != 0:
        raise error("invalid documentType")
    return found


def _client(instance: Instance, body: dict[str, Any], doc_type: dict[str, Any]) -> dict[str, Any] | None:
    """The document's client; a new inline client is returned without an id, created only on commit."""
    client: dict[str, Any] | None = None
    if "clientId" in body:
        client = instance.get("clients", body["clientId"])
        if client is None:
            raise error("invalid client")
    elif isinstance(body.get("client"), dict):
        given = body["client"]
        if doc_type["useClient"] and not all(str(given.get(k) or "").strip() for k in CLIENT_FIELDS):
            raise error(CLIENT_REQUIRED)
        code = str(given.get("code") or "").strip()
        # Bsale stores RUTs as given and reuses the client with that code
        client = next((c for c in instance.records["clients"].values() if code and c["code"] == code), None)
        if client is None:
            client = {"new": given}
    if client is None and doc_type["useClient"]:
        raise error(CLIENT_REQUIRED)
    return client


def _new_client(instance: Instance, given: dict[str, Any], now: float) -> dict[str, Any]:
    ident = instance.next_id("clients")
    client = {
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
    instance.records["clients"][ident] = client
    return client


def _tax_ids(raw: Any) -> list[int]:
    """`taxId` is a STRING holding a JSON array: "[1,2]"."""
    if isinstance(raw, list):
        values = raw
    else:
        try:
            values = json.loads(str(raw))
        except ValueError:
            raise error("Invalid JSON object") from None
        if isinstance(values, int):
            values = [values]
    if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
        raise error("Invalid JSON object")
    return values


def _line_taxes(
    instance: Instance, detail: dict[str, Any], updates: dict[int, Decimal]
) -> list[tuple[int, Decimal]]:
    taxes: list[tuple[int, Decimal]] = []
    if "taxes" in detail:
        for given in detail["taxes"] or []:
            tax = next(
                (t for t in instance.records["taxes"].values() if t["code"] == str(given.get("code"))), None
            )
            if tax is None or tax["state"] != 0:
                continue  # unknown or inactive tax codes are ignored, the line stays exempt of them
            pct = Decimal(tax["percentage"])
            if "percentage" in given:
                # "El percentage enviado, actualizará el porcentaje usado en la configuración de Bsale."
                pct = updates[tax["id"]] = _decimal(given["percentage"], "Invalid JSON object")
            taxes.append((tax["id"], pct))
    elif "taxId" in detail:
        for tax_id in _tax_ids(detail["taxId"]):
            tax = instance.get("taxes", tax_id)
            if tax is not None and tax["state"] == 0:
                taxes.append((tax["id"], Decimal(tax["percentage"])))
    return taxes


def _variant(instance: Instance, detail: dict[str, Any]) -> dict[str, Any] | None:
    variants = instance.records["variants"].values()
    if "variantId" in detail:
        found = instance.get("variants", detail["variantId"])
    elif "code" in detail:
        found = next((v for v in variants if v["code"] == str(detail["code"])), None)
    elif "barCode" in detail:
        found = next((v for v in variants if v["barCode"] == str(detail["barCode"])), None)
    else:
        return None
    if found is None or found["state"] != 0:
        raise error("invalid variant")
    return found


def create(
    instance: Instance, body: dict[str, Any], *, now: float, token: str, user_id: int
) -> tuple[Document, bool]:
    """The new document and True, or the earlier one with the same salesId and False.

    Everything is checked before anything changes: a refused document burns no folio, creates no
    client, moves no stock and changes no tax percentage.
    """
    doc_type = _document_type(instance, body)
    sales_id = body.get("salesId")
    if sales_id:
        earlier = instance.by_sales_id.get((doc_type["id"], str(sales_id)))
        if earlier is not None:
            return instance.documents[earlier], False
    office = instance.get("offices", body["officeId"]) if "officeId" in body else instance.default("offices")
    if office is None:
        raise error("invalid office")
    price_list_id = body.get("priceListId", office["defaultPriceListId"])
    price_list = instance.get("price_lists", price_list_id)
    if price_list is None:
        raise error("price list not found")
    if price_list["state"] != 0:
        raise error("invalid price list")
    coin = instance.get("coins", body.get("coinId", price_list["coinId"]))
    if coin is None:
        raise error("invalid coin")
    decimals = int(coin["decimals"])
    client = _client(instance, body, doc_type)
    address = client.get("new", client) if client else None
    if "addressId" in body:
        address = next((a for a in (client or {}).get("addresses", []) if a["id"] == body["addressId"]), None)
        if address is None:
            raise error("invalid address")
    seller_id = body.get("sellerId", user_id)
    if instance.get("users", seller_id) is None:
        raise error("invalid seller")
    electronic = bool(doc_type["isElectronicDocument"])
    tax_updates: dict[int, Decimal] = {}
    lines, details = _details(instance, body.get("details") or [], price_list, electronic, tax_updates)
    totals = am.totals(lines, decimals, exempt_document=bool(doc_type["isExempt"]))
    doc_amounts = _amounts(body, totals, decimals)
    references = [_reference(instance, r) for r in body.get("references") or []]
    attributes = []
    for attr in body.get("dynamicAttributes") or []:
        if instance.get("dynamic_attributes", attr.get("dynamicAttributeId")) is None:
            raise error("invalid dynamic attribute")
        attributes.append((int(attr["dynamicAttributeId"]), str(attr.get("description", ""))))
    emission = int(body.get("emissionDate") or midnight(now))
    payments = _payments(instance, body, doc_amounts["totalAmount"], emission, now)
    if body.get("dispatch"):
        _check_stock(instance, details, office["id"])
    folio = _folio(instance, doc_type, check_only=True)

    # --- commit: nothing below refuses ----------------------------------------------------------
    if client is not None and "new" in client:
        client = _new_client(instance, client["new"], now)
    for tax_id, pct in tax_updates.items():
        instance.records["taxes"][tax_id]["percentage"] = f"{float(pct):.1f}"
    folio = _folio(instance, doc_type)
    doc_id = instance.next_id("documents")
    for position, detail in enumerate(details):
        detail.id, detail.document_id, detail.line_number = instance.next_id("details"), doc_id, position
        source_id = instance.detail_owners.get(detail.related_detail_id)
        if source_id is not None:
            source_doc = instance.documents[source_id]
            source_doc.used = True
            instance.documents.put(source_doc)
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
        variant = instance.records["variants"][variant_id]
        if variant["unlimitedStock"] or variant["allowNegativeStock"]:
            continue
        if variant["stock"].get(str(office_id), 0) < quantity:
            short.append(variant["code"])
    if short:
        raise error(f"There is no stock for this products: {','.join(short)}")


def _details(
    instance: Instance,
    given: list[dict[str, Any]],
    price_list: dict[str, Any],
    electronic: bool,
    tax_updates: dict[int, Decimal],
) -> tuple[list[am.Line], list[Detail]]:
    lines: list[am.Line] = []
    details: list[Detail] = []
    for raw in given:
        related = 0
        source: Detail | None = None
        if "detailId" in raw:
            source = instance.detail(int(raw["detailId"]))
            if source is None:
                raise error("invalid detail")
            related = source.id
            variant = instance.get("variants", source.variant_id) if source.variant_id else None
        else:
            variant = _variant(instance, raw)
        quantity = _decimal(raw.get("quantity", source.quantity if source else 1), "invalid quantity")
        if quantity <= 0:
            raise error("invalid quantity")
        if "netUnitValue" in raw:
            net_unit = _decimal(raw["netUnitValue"], "Invalid JSON object")
        elif source is not None:
            net_unit = Decimal(str(source.net_unit_value))
        elif variant is not None:
            net_unit = Decimal(str(variant["prices"].get(str(price_list["id"]), 0)))
        else:
            net_unit = Decimal(0)
        if net_unit < 0 or (electronic and net_unit == 0):
            raise error(
                "Invalid net unit value, zero or negative values are not allowed for this type of document"
            )
        discount = _decimal(raw.get("discount", source.discount if source else 0) or 0, "Invalid JSON object")
        if source is not None and "taxId" not in raw and "taxes" not in raw:
            taxes = [(t, Decimal(str(p))) for t, p in source.tax_ids]
        else:
            taxes = _line_taxes(instance, raw, tax_updates)
        line = am.Line(quantity, net_unit, discount, taxes)
        lines.append(line)
        net = line.net
        tax = net * line.rate / 100
        comment = str(raw.get("comment") or (source.comment if source else "") or "")
        details.append(
            Detail(
                id=0,
                document_id=0,
                line_number=0,
                quantity=float(quantity),
                net_unit_value=float(net_unit),
                total_unit_value=float(net_unit * (1 + line.rate / 100)),
                net_amount=float(net),
                tax_amount=float(tax),
                total_amount=float(net + tax),
                # `or 0.0`: most lines have no discount; one shared zero is packed once per document
                # (marshal writes an object it has already written as a reference)
                net_discount=float(line.net_discount) or 0.0,
                total_discount=float(line.net_discount * (1 + line.rate / 100)) or 0.0,
                variant_id=variant["id"] if variant else None,
                note=comment,
                related_detail_id=related,
                tax_ids=_shared(tuple((t, float(p)) for t, p in taxes)),
                discount=float(discount) or 0.0,
                comment=comment,
            )
        )
    return lines, details


_TAX_SETS: dict[tuple[tuple[int, float], ...], tuple[tuple[int, float], ...]] = {}


def _shared(tax_ids: tuple[tuple[int, float], ...]) -> tuple[tuple[int, float], ...]:
    """One object per distinct set of line taxes (most lines have the same one), so a document's lines
    pack it once."""
    return _TAX_SETS.setdefault(tax_ids, tax_ids)


def _amounts(body: dict[str, Any], totals: am.Totals, decimals: int) -> dict[str, float]:
    n = am.number
    out: dict[str, float] = {
        "totalAmount": n(totals.total, decimals),
        "netAmount": n(totals.net, decimals),
        "taxAmount": n(totals.tax, decimals),
        "exemptAmount": n(totals.exempt, decimals),
        "exportTotalAmount": 0,
        "exportNetAmount": 0,
        "exportTaxAmount": 0,
        "exportExemptAmount": 0,
        "commissionRate": 0,
        "commissionNetAmount": 0,
        "commissionTaxAmount": 0,
        "commissionTotalAmount": 0,
        "percentageTaxWithheld": 0,
        "purchaseTaxAmount": 0,
        "purchaseTotalAmount": 0,
    }
    if "exchangeRate" in body and decimals > 0:
        # an export document: amounts are in the foreign coin; the peso amounts follow the exchange rate
        rate = _decimal(body["exchangeRate"], "Invalid JSON object")
        out.update(
            exportNetAmount=n(totals.net + totals.exempt, decimals),
            exportTaxAmount=n(totals.tax, decimals),
            exportExemptAmount=n(totals.exempt, decimals),
            exportTotalAmount=n(totals.total, decimals),
        )
        out.update(
            netAmount=n(totals.net * rate, 0),
            taxAmount=n(totals.tax * rate, 0),
            exemptAmount=n(totals.exempt * rate, 0),
            totalAmount=n(totals.total * rate, 0),
        )
    if "commissionRate" in body:
        rate = _decimal(body["commissionRate"], "Invalid JSON object")
        commission_net = am.round_coin(totals.net * rate / 100, decimals)
        commission_tax = am.round_coin(commission_net * Decimal("0.19"), decimals)
        out.update(
            commissionRate=float(rate),
            commissionNetAmount=n(commission_net, decimals),
            commissionTaxAmount=n(commission_tax, decimals),
            commissionTotalAmount=n(commission_net + commission_tax, decimals),
        )
    if "percentageTaxWithheld" in body:
        pct = _decimal(body["percentageTaxWithheld"], "Invalid JSON object")
        withheld = am.round_coin(totals.tax * pct / 100, decimals)
        out.update(
            percentageTaxWithheld=float(pct),
            purchaseTaxAmount=n(withheld, decimals),
            purchaseTotalAmount=n(totals.total - withheld, decimals),
        )
    # the zeros are left to the renderer (ZERO_AMOUNTS): 100,000 documents keep ~35 MB less
    return {k: v for k, v in out.items() if v or k in CORE_AMOUNTS}


def _folio(instance: Instance, doc_type: dict[str, Any], *, check_only: bool = False) -> int:
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


def _reference(instance: Instance, given: dict[str, Any]) -> Reference:
    code = str(given.get("codeSii", ""))
    dte = next((d for d in instance.records["dte_codes"].values() if d["codeSii"] == code), None)
    if dte is None:
        raise error("invalid reference codeSii")
    return Reference(
        0,
        int(given.get("referenceDate") or 0),
        str(given.get("number", "")),
        str(given.get("reason", "")),
        dte["id"],
        code,
    )


def _payments(
    instance: Instance, body: dict[str, Any], total: float, emission: int, now: float
) -> list[Payment]:
    given = body.get("payments")
    if not given:
        # no payments: the whole total on the default payment type
        given = [
            {
                "paymentTypeId": instance.default("payment_types")["id"],
                "amount": total,
                "recordDate": emission,
            }
        ]
    payments = []
    for raw in given:
        if instance.get("payment_types", raw.get("paymentTypeId")) is None:
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
