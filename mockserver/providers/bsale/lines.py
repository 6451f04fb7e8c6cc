"""A document's detail lines and amounts: variants, line taxes, discounts, and the totals by coin."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from mockserver.core import formats
from mockserver.core.errors import Kind, MockError
from mockserver.providers.bsale import amounts as am
from mockserver.providers.bsale.catalogue import PriceList, Variant, find
from mockserver.providers.bsale.documents import CORE_AMOUNTS, Detail
from mockserver.providers.bsale.instance import Instance


def error(message: str) -> MockError:
    return MockError(Kind.VALIDATION, message)


def decimal(value: Any, message: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise error(message) from None
    if not result.is_finite():
        raise error(message)
    return result


def _tax_ids(raw: Any) -> list[int]:
    """`taxId` is a STRING holding a JSON array: "[1,2]"."""
    if isinstance(raw, list):
        values = raw
    else:
        try:
            values = formats.loads(str(raw))
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
                (t for t in instance.catalogue.taxes.values() if t["code"] == str(given.get("code"))), None
            )
            if tax is None or tax["state"] != 0:
                continue  # unknown or inactive tax codes are ignored, the line stays exempt of them
            pct = Decimal(tax["percentage"])
            if "percentage" in given:
                # "El percentage enviado, actualizará el porcentaje usado en la configuración de Bsale."
                pct = updates[tax["id"]] = decimal(given["percentage"], "Invalid JSON object")
            taxes.append((tax["id"], pct))
    elif "taxId" in detail:
        for tax_id in _tax_ids(detail["taxId"]):
            tax = find(instance.catalogue.taxes, tax_id)
            if tax is not None and tax["state"] == 0:
                taxes.append((tax["id"], Decimal(tax["percentage"])))
    return taxes


def variant_of(instance: Instance, detail: dict[str, Any]) -> Variant | None:
    variants = instance.catalogue.variants.values()
    if "variantId" in detail:
        found = find(instance.catalogue.variants, detail["variantId"])
    elif "code" in detail:
        found = next((v for v in variants if v["code"] == str(detail["code"])), None)
    elif "barCode" in detail:
        found = next((v for v in variants if v["barCode"] == str(detail["barCode"])), None)
    else:
        return None
    if found is None or found["state"] != 0:
        raise error("invalid variant")
    return found


def details(
    instance: Instance,
    given: list[dict[str, Any]],
    price_list: PriceList,
    electronic: bool,
    tax_updates: dict[int, Decimal],
) -> tuple[list[am.Line], list[Detail]]:
    lines: list[am.Line] = []
    details: list[Detail] = []
    coin: dict[str, Any] = dict(instance.catalogue.coins.get(price_list.get("coinId", 1)) or {})
    decimals = int(coin.get("decimals", 0))
    for raw in given:
        related = 0
        source: Detail | None = None
        if "detailId" in raw:
            source = instance.detail(int(raw["detailId"]))
            if source is None:
                raise error("invalid detail")
            related = source.id
            variant = find(instance.catalogue.variants, source.variant_id) if source.variant_id else None
        else:
            variant = variant_of(instance, raw)
        quantity = decimal(raw.get("quantity", source.quantity if source else 1), "invalid quantity")
        if quantity <= 0:
            raise error("invalid quantity")
        if "netUnitValue" in raw:
            net_unit = decimal(raw["netUnitValue"], "Invalid JSON object")
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
        discount = decimal(raw.get("discount", source.discount if source else 0) or 0, "Invalid JSON object")
        if source is not None and "taxId" not in raw and "taxes" not in raw:
            taxes = [(t, Decimal(str(p))) for t, p in source.tax_ids]
        else:
            taxes = _line_taxes(instance, raw, tax_updates)
        line = am.Line(quantity, net_unit, discount, taxes)
        lines.append(line)
        # a line's amounts in the coin's decimals (none for pesos), as the document's totals are
        net = am.round_coin(line.net, decimals)
        tax = am.round_coin(line.net * line.rate / 100, decimals)
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


def document_amounts(body: dict[str, Any], totals: am.Totals, decimals: int) -> dict[str, float]:
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
        rate = decimal(body["exchangeRate"], "Invalid JSON object")
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
        rate = decimal(body["commissionRate"], "Invalid JSON object")
        commission_net = am.round_coin(totals.net * rate / 100, decimals)
        commission_tax = am.round_coin(commission_net * Decimal("0.19"), decimals)
        out.update(
            commissionRate=float(rate),
            commissionNetAmount=n(commission_net, decimals),
            commissionTaxAmount=n(commission_tax, decimals),
            commissionTotalAmount=n(commission_net + commission_tax, decimals),
        )
    if "percentageTaxWithheld" in body:
        pct = decimal(body["percentageTaxWithheld"], "Invalid JSON object")
        withheld = am.round_coin(totals.tax * pct / 100, decimals)
        out.update(
            percentageTaxWithheld=float(pct),
            purchaseTaxAmount=n(withheld, decimals),
            purchaseTotalAmount=n(totals.total - withheld, decimals),
        )
    # the zeros are left to the renderer (ZERO_AMOUNTS): 100,000 documents keep ~35 MB less
    return {k: v for k, v in out.items() if v or k in CORE_AMOUNTS}
