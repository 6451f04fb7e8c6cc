"""Shippings: goods leaving an office, either a sale document dispatched or a guía de despacho (52),
made here with its folio, timbre and files, which takes its goods out of the office's stock."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.core.plugin import json_response
from mockserver.providers.bsale import calls
from mockserver.providers.bsale.catalogue import find
from mockserver.providers.bsale.creation import DISPATCH
from mockserver.providers.bsale.documents import Shipping
from mockserver.providers.bsale.instance import Instance
from mockserver.providers.bsale.lines import error
from mockserver.providers.bsale.render import Renderer

if TYPE_CHECKING:
    from mockserver.providers.bsale.state import BsaleState

GUIA = "52"
DESTINATION = ("address", "municipality", "city", "recipient")
SHIPPING_FILTERS: dict[str, Callable[[Shipping], str]] = {
    "officeid": lambda s: str(s.office_id),
    "shippingtypeid": lambda s: str(s.shipping_type_id or ""),
    "guideid": lambda s: str(s.document_id),
}


def create_shipping(
    state: BsaleState, instance: Instance, body: dict[str, Any], scenario: str | None
) -> Shipping:
    shipping_type = find(instance.catalogue.shipping_types, body.get("shippingTypeId"))
    if shipping_type is None or shipping_type["state"] != 0:
        raise error("invalid shipping type")
    guide_body = {k: v for k, v in body.items() if k not in ("shippingTypeId", *DESTINATION)}
    if "documentTypeId" not in guide_body and "codeSii" not in guide_body:
        guide_body["codeSii"] = GUIA
    guide, _ = state.create(instance, {**guide_body, "dispatch": 1}, scenario, uses=(DISPATCH,))
    assert guide.shipping_id is not None  # a dispatched document has its shipping
    shipping = instance.shippings[guide.shipping_id]
    shipping.shipping_type_id = shipping_type["id"]
    for key in DESTINATION:  # where the goods go: as given, else the client's address
        given = body.get(key)
        if given or key == "recipient":
            setattr(shipping, key, str(given or ""))
    state.notify(
        instance, "shipping", "post", shipping.id, guide.office_id, path=f"/v1/shippings/{shipping.id}.json"
    )
    return shipping


def render_shipping(renderer: Renderer, shipping: Shipping) -> dict[str, Any]:
    path = f"shippings/{shipping.id}"
    office = renderer.instance.catalogue.offices.get(shipping.office_id)
    return {
        "href": renderer.href(path),
        "id": shipping.id,
        "shippingDate": shipping.date,
        "address": shipping.address,
        "municipality": shipping.municipality,
        "city": shipping.city,
        "country": office["country"] if office else "Chile",
        "recipient": shipping.recipient,
        "office": renderer.stub("offices", shipping.office_id),
        "user": renderer.stub("users", shipping.user_id) if shipping.user_id else None,
        "shipping_type": renderer.stub("shipping_types", shipping.shipping_type_id),
        "guide": renderer.document_stub(shipping.document_id, "guide"),
        "details": renderer.collection(
            "details", f"{path}/details", lambda: [render_line(renderer, shipping, x) for x in shipping.lines]
        ),
    }


def render_line(renderer: Renderer, shipping: Shipping, line: dict[str, Any]) -> dict[str, Any]:
    return {
        "href": renderer.href(f"shippings/{shipping.id}/details/{line['id']}"),
        "id": line["id"],
        "quantity": line["quantity"],
        "variantStock": line["stock_after"],
        "variantCost": line["cost"],
        "variantTotalCost": line["cost"] * line["quantity"],
        "variant": {
            "href": renderer.href(f"variants/{line['variant_id']}"),
            "id": str(line["variant_id"]),
        },
    }


# --- handlers --------------------------------------------------------------------------------------------


SHIPPINGS = calls.Records(
    "shippings",
    "shipping",
    lambda instance: instance.shippings,
    SHIPPING_FILTERS,
    create_shipping,
    render_shipping,
    render_line,
)


async def detail(call: Call) -> web.StreamResponse:
    shipping = calls.instance_of(call).shippings.get(call.path["id"])
    line = next((x for x in (shipping.lines if shipping else []) if x["id"] == call.path["itemId"]), None)
    if shipping is None or line is None:
        raise MockError(Kind.NOT_FOUND, "shipping detail not found")
    return json_response(render_line(calls.renderer_of(call), shipping, line))
