"""BHE retention (Ley 21.133): the rate by the year of emission, rounded to the peso."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

RATES = {
    2020: Decimal("10.75"),
    2021: Decimal("11.5"),
    2022: Decimal("12.25"),
    2023: Decimal("13"),
    2024: Decimal("13.75"),
    2025: Decimal("14.5"),
    2026: Decimal("15.25"),
    2027: Decimal("16"),
}
BEFORE_2020 = Decimal("10")
FROM_2028 = Decimal("17")


def rate(year: int) -> Decimal:
    if year < 2020:
        return BEFORE_2020
    return RATES.get(year, FROM_2028)


@dataclass(frozen=True)
class Amounts:
    bruto: int
    tasa: Decimal
    retencion: int
    liquido: int


def amounts(valores: list[int], fecha: date) -> Amounts:
    """bruto = sum of valor; retencion = round(bruto * tasa / 100) to the peso; liquido = the rest."""
    bruto = sum(valores)
    tasa = rate(fecha.year)
    retencion = int((Decimal(bruto) * tasa / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Amounts(bruto, tasa, retencion, bruto - retencion)
