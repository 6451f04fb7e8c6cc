"""Document amounts as Bsale computes them (fact sheet): per-line net, per-tax rounding, coin decimals."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


def round_coin(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def number(value: Decimal, decimals: int) -> int | float:
    """JSON number: an integer for a 0-decimal coin (CLP), a float otherwise."""
    rounded = round_coin(value, decimals)
    return int(rounded) if decimals == 0 else float(rounded)


@dataclass
class Line:
    quantity: Decimal
    net_unit: Decimal
    discount: Decimal  # percent
    taxes: list[tuple[int, Decimal]]  # (tax id, percent)

    @property
    def gross(self) -> Decimal:
        return self.net_unit * self.quantity

    @property
    def net_discount(self) -> Decimal:
        return self.gross * self.discount / 100

    @property
    def net(self) -> Decimal:
        return self.gross - self.net_discount

    @property
    def rate(self) -> Decimal:
        return sum((pct for _, pct in self.taxes), Decimal(0))


@dataclass
class Totals:
    net: Decimal = Decimal(0)
    exempt: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    by_tax: dict[int, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.net + self.tax + self.exempt


def totals(lines: list[Line], decimals: int, *, exempt_document: bool) -> Totals:
    """net = round(sum of taxed line nets); each tax = round(its lines' nets * %) half-up; exempt apart."""
    out = Totals()
    taxed = Decimal(0)
    exempt = Decimal(0)
    base: dict[int, tuple[Decimal, Decimal]] = {}
    for line in lines:
        if exempt_document or not line.taxes:
            exempt += line.net
            continue
        taxed += line.net
        for tax_id, pct in line.taxes:
            amount, _ = base.get(tax_id, (Decimal(0), pct))
            base[tax_id] = (amount + line.net, pct)
    out.net = round_coin(taxed, decimals)
    out.exempt = round_coin(exempt, decimals)
    for tax_id, (amount, pct) in base.items():
        out.by_tax[tax_id] = round_coin(amount * pct / 100, decimals)
    out.tax = sum(out.by_tax.values(), Decimal(0))
    return out
