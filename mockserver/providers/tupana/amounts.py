"""A DTE's totals the way the SII computes them: integer pesos, IVA 19 % on the net, gross boletas."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

IVA = Decimal("0.19")
EXEMPT_TYPES = {"34", "41", "110", "111", "112", "80", "90"}
GROSS_TYPES = {"39", "41"}  # boletas: prices include IVA


def _peso(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Totals:
    net: int
    exempt: int
    iva: int
    total: int
    lines: list[dict[str, Any]]


def totals(dte_type: str, details: list[dict[str, Any]]) -> Totals:
    """Each line's amount is rounded to the peso (MontoItem); IVA = round(net * 19 %); for boletas the
    total is the sum of gross lines and the net is backed out of it (net = round(total / 1.19))."""
    exempt_document = dte_type in EXEMPT_TYPES
    gross_document = dte_type in GROSS_TYPES
    net = exempt = gross_total = 0
    lines = []
    for n, item in enumerate(details, start=1):
        quantity = Decimal(str(item["quantity"]))
        price = Decimal(str(item.get("gross_unit_price", item.get("unit_price", 0))))
        discount = Decimal(str(item.get("discount_percent", 0) or 0))
        amount = _peso(quantity * price * (1 - discount / 100))
        is_exempt = exempt_document or bool(item.get("is_exempt"))
        if is_exempt:
            exempt += amount
        elif gross_document or "gross_unit_price" in item:
            gross_total += amount
        else:
            net += amount
        lines.append(
            {
                "line_number": n,
                "item_name": item["item_name"],
                "quantity": float(quantity),
                "unit_price": float(price),
                "discount_percent": float(discount),
                "is_exempt": is_exempt,
                "amount": amount,
            }
        )
    if gross_total:
        gross_net = _peso(Decimal(gross_total) / (1 + IVA))
        net += gross_net
        iva = _peso(Decimal(net - gross_net) * IVA) + (gross_total - gross_net)
    else:
        iva = _peso(Decimal(net) * IVA)
    return Totals(net, exempt, iva, net + exempt + iva, lines)
