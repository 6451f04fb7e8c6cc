"""Stock: each variant's quantity at each office, and the receptions and consumptions that move it by
hand (documents, returns and guías move it through `move`, so every reader sees one count)."""

from __future__ import annotations

import itertools
from typing import Any, Protocol

from mockserver.core.services.clock import Clock
from mockserver.providers.bsale.catalogue import Variant, find
from mockserver.providers.bsale.documents import StockMove
from mockserver.providers.bsale.instance import Instance
from mockserver.providers.bsale.lines import decimal, error, variant_of
from mockserver.providers.bsale.render import Renderer, bracket_list


class StockState(Protocol):
    """What a stock move needs of Bsale's state (`BsaleState`): its clock and its notifications."""

    clock: Clock

    def notify(
        self,
        instance: Instance,
        topic: str,
        action: str,
        resource_id: int,
        office_id: int,
        path: str | None = None,
        url: str | None = None,
        **extra: str,
    ) -> object: ...


STOCK_FILTERS = ("officeid", "variantid", "code", "barcode")


def move(state: StockState, instance: Instance, variant: Variant, office_id: int, delta: float) -> float:
    """Add `delta` to the variant's stock at the office (a variant with unlimited stock keeps none),
    tell the instance's webhook in Bsale's stock shape, and answer the quantity now there."""
    office = str(office_id)
    if not variant["unlimitedStock"]:
        variant["stock"][office] = variant["stock"].get(office, 0) + delta
    state.notify(
        instance,
        "stock",
        "put",
        variant["id"],
        office_id,
        path=f"/v2/stocks.json?variant={variant['id']}&office={office_id}",
    )
    return variant["stock"].get(office, 0)


# --- the stock records: one per variant and office, numbered in that order -----------------------------


def _grid(instance: Instance) -> tuple[list[int], list[int]]:
    return sorted(instance.catalogue.variants), sorted(instance.catalogue.offices)


def stock_id(instance: Instance, variant_id: int, office_id: int) -> int:
    variants, offices = _grid(instance)
    return variants.index(variant_id) * len(offices) + offices.index(office_id) + 1


def find_stock(instance: Instance, ident: Any) -> tuple[Variant, int] | None:
    variants, offices = _grid(instance)
    if not isinstance(ident, int) or not 1 <= ident <= len(variants) * len(offices):
        return None
    row, column = divmod(ident - 1, len(offices))
    return instance.catalogue.variants[variants[row]], offices[column]


def render_stock(renderer: Renderer, variant: Variant, office_id: int) -> dict[str, Any]:
    quantity = float(variant["stock"].get(str(office_id), 0))
    ident = stock_id(renderer.instance, variant["id"], office_id)
    return {
        "href": renderer.href(f"stocks/{ident}"),
        "id": ident,
        "quantity": quantity,
        "quantityReserved": 0.0,
        "quantityAvailable": quantity,
        "variant": renderer.stub("variants", variant["id"]),
        "office": renderer.stub("offices", office_id),
    }


def stocks(instance: Instance, query: dict[str, str]) -> list[tuple[Variant, int]]:
    """Every (variant, office) the filters keep; each filter takes one value or Bsale's `[a,b]`."""
    wanted = {p: {v.lower() for v in bracket_list(query[p])} for p in STOCK_FILTERS if p in query}
    out = []
    variant_ids, office_ids = _grid(instance)
    for variant_id, office_id in itertools.product(variant_ids, office_ids):
        variant = instance.catalogue.variants[variant_id]
        values = {
            "officeid": str(office_id),
            "variantid": str(variant_id),
            "code": variant["code"].lower(),
            "barcode": variant["barCode"].lower(),
        }
        if all(values[p] in accepted for p, accepted in wanted.items()):
            out.append((variant, office_id))
    return out


# --- receptions and consumptions -----------------------------------------------------------------------


def _stocked(instance: Instance, line: dict[str, Any]) -> Variant:
    variant = variant_of(instance, line)
    if variant is None:
        raise error("invalid variant")
    return variant


def record_move(state: StockState, instance: Instance, kind: str, body: dict[str, Any]) -> StockMove:
    """A reception adds to the office's stock (and averages the cost in); a consumption takes from it
    and is refused, changing nothing, when the office has less than it takes."""
    office = find(instance.catalogue.offices, body.get("officeId"))
    if office is None:
        raise error("invalid office")
    wanted = [(_stocked(instance, line), line) for line in body["details"]]
    sign = 1 if kind == "receptions" else -1
    if sign < 0:
        short = [
            v["code"]
            for v, line in wanted
            if not (v["unlimitedStock"] or v["allowNegativeStock"])
            and v["stock"].get(str(office["id"]), 0) < float(line["quantity"])
        ]
        if short:
            raise error(f"There is no stock for this products: {','.join(short)}")
    now = int(state.clock.now())
    moved = StockMove(
        id=instance.next_id(f"stock_{kind}"),
        kind=kind,
        date=int(body.get("admissionDate") or body.get("consumptionDate") or now),
        office_id=office["id"],
        user_id=instance.api_user(),
        note=str(body.get("note") or ""),
        document=str(body.get("document") or ""),
        document_number=str(body.get("documentNumber") or ""),
        lines=[],
    )
    for variant, line in wanted:
        quantity = float(line["quantity"])
        cost = float(decimal(line.get("cost", variant["cost"]), "Invalid JSON object"))
        if sign > 0:
            _average_cost(variant, quantity, cost)
            variant.setdefault("receptions", []).append([moved.id, moved.date, quantity, cost])
        after = move(state, instance, variant, office["id"], sign * quantity)
        moved.lines.append(
            {
                "id": instance.next_id(f"stock_{kind}_details"),
                "variant_id": variant["id"],
                "quantity": quantity,
                "cost": cost,
                "stock_after": after,
            }
        )
    instance.stock_moves.setdefault(kind, {})[moved.id] = moved
    return moved


def _held(variant: Variant) -> float:
    """What the variant has in stock at every office together (an office gone negative holds none)."""
    return sum(max(q, 0) for q in variant["stock"].values())


def _average_cost(variant: Variant, quantity: float, cost: float) -> None:
    held = _held(variant)
    if held + quantity > 0:
        variant["cost"] = round((variant["cost"] * held + cost * quantity) / (held + quantity), 2)


def render_move(renderer: Renderer, moved: StockMove) -> dict[str, Any]:
    path = f"stocks/{moved.kind}/{moved.id}"
    out: dict[str, Any] = {
        "href": renderer.href(path),
        "id": moved.id,
        ("admissionDate" if moved.kind == "receptions" else "consumptionDate"): moved.date,
        "note": moved.note,
        "office": renderer.stub("offices", moved.office_id),
        "user": renderer.stub("users", moved.user_id),
    }
    if moved.kind == "receptions":
        out.update(document=moved.document, documentNumber=moved.document_number)
    out["details"] = renderer.collection(
        "details", f"{path}/details", lambda: [render_move_line(renderer, moved, x) for x in moved.lines]
    )
    return out


def render_move_line(renderer: Renderer, moved: StockMove, line: dict[str, Any]) -> dict[str, Any]:
    return {
        "href": renderer.href(f"stocks/{moved.kind}/{moved.id}/details/{line['id']}"),
        "id": line["id"],
        "quantity": line["quantity"],
        "cost": line["cost"],
        "variantStock": line["stock_after"],
        "variant": renderer.stub("variants", line["variant_id"]),
    }


def variant_costs(renderer: Renderer, variant: Variant) -> dict[str, Any]:
    held = _held(variant)
    return {
        "href": renderer.href(f"variants/{variant['id']}/costs"),
        "averageCost": variant["cost"],
        "totalCost": round(variant["cost"] * held, 2),
        "history": [
            {
                "admissionDate": date,
                "cost": cost,
                "quantity": quantity,
                "reception": {
                    "href": renderer.href(f"stocks/receptions/{reception_id:g}"),
                    "id": f"{reception_id:g}",
                },
            }
            for reception_id, date, quantity, cost in variant.get("receptions", [])
        ],
    }
