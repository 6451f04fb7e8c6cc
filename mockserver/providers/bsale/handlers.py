"""Thin handlers; the catalogue's list/item/count handlers are made by one factory each."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.core.plugin import Handler, json_response
from mockserver.providers.bsale import artifacts, query
from mockserver.providers.bsale.documents import Document
from mockserver.providers.bsale.instance import Instance
from mockserver.providers.bsale.render import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Renderer,
    bracket_list,
    envelope,
    select_fields,
)
from mockserver.providers.bsale.state import BsaleState


def _state(call: Call) -> BsaleState:
    state: BsaleState = call.state
    return state


def _instance(call: Call) -> Instance:
    """The caller's instance; a read by a token that never wrote sees a new instance without making one."""
    return _state(call).instance(call.tenant, create=call.request.method not in ("GET", "HEAD"))


def _expand(call: Call) -> set[str]:
    names = set(bracket_list(call.request.query.get("expand")))
    # the seed writes expand=[document_types,...]; both the singular and the plural name work
    return names | {n[:-1] for n in names if n.endswith("s")}


def _renderer(call: Call) -> Renderer:
    return Renderer(_instance(call), call.base_url(), _expand(call))


def _page(call: Call) -> tuple[int, int]:
    limit = call.query.get("limit") or DEFAULT_LIMIT
    return min(limit, MAX_LIMIT), call.query.get("offset") or 0


def _listing(
    call: Call, path: str, items: list[Any], render: Callable[[Any], dict[str, Any]]
) -> web.Response:
    limit, offset = _page(call)
    fields = bracket_list(call.request.query.get("fields"))
    page = [render(item) for item in items[offset : offset + limit]]
    if fields:
        page = [select_fields(item, fields) for item in page]
    others = {k: v for k, v in call.request.query.items() if k not in ("limit", "offset")}
    return json_response(
        envelope(f"{call.base_url()}/v1/{path}.json", page, len(items), limit, offset, others)
    )


def _item(data: dict[str, Any] | None, what: str) -> web.Response:
    if data is None:
        raise MockError(Kind.NOT_FOUND, f"{what} not found")
    return json_response(data)


# --- documents ---------------------------------------------------------------------------------------


async def list_documents(call: Call) -> web.StreamResponse:
    instance = _instance(call)
    ids = query.matching_ids(instance, call.request.query)
    renderer = _renderer(call)
    return _listing(call, "documents", ids, lambda i: renderer.document(instance.documents[i]))


async def create_document(call: Call) -> web.StreamResponse:
    if not isinstance(call.body, dict):
        raise MockError(Kind.VALIDATION, "Invalid JSON object")
    doc, created = _state(call).create(_instance(call), call.body, call.scenario)
    return json_response(_renderer(call).document(doc), status=201 if created else 200)


def _document(call: Call) -> Document:
    return _state(call).document(_instance(call), call.path["id"])


async def get_document(call: Call) -> web.StreamResponse:
    document = _state(call).poll_document(_instance(call), call.path["id"])
    return _item(_renderer(call).document(document), "document")


async def delete_document(call: Call) -> web.StreamResponse:
    doc = _state(call).delete(_instance(call), call.path["id"], call.query.get("officeId"))
    return json_response(_renderer(call).document(doc))


async def count_documents(call: Call) -> web.StreamResponse:
    return json_response({"count": len(query.matching_ids(_instance(call), call.request.query))})


async def get_documents_summary(call: Call) -> web.StreamResponse:
    rows = query.summary(_instance(call), call.request.query)
    limit, offset = _page(call)
    fields = bracket_list(call.request.query.get("fields"))
    page = rows[offset : offset + limit]
    return json_response([select_fields(r, fields) for r in page] if fields else page)


async def get_ticket_summary(call: Call) -> web.StreamResponse:
    return json_response(query.ticket_summary(_instance(call), call.request.query))


async def get_document_costs(call: Call) -> web.StreamResponse:
    instance = _instance(call)
    if "documentid" in call.query:
        doc = instance.documents.get(call.query["documentid"])
    else:
        matches = query.filter_documents(
            instance, {k: v for k, v in call.request.query.items() if k in ("number", "codesii")}
        )
        doc = matches[0] if matches and ("number" in call.query or "codesii" in call.query) else None
    if doc is None:
        raise MockError(Kind.NOT_FOUND, "document not found")
    return json_response(_state(call).costs(instance, doc, call.base_url()))


def _document_part(attribute: str, render: str, key: Callable[[Any], Any]) -> tuple[Handler, Handler]:
    """The list and item handlers of one of a document's collections (details, references, …)."""

    def parts(call: Call) -> tuple[Document, list[Any], Callable[[Any], dict[str, Any]]]:
        doc = _document(call)
        renderer = _renderer(call)
        method = getattr(renderer, render)
        return (
            doc,
            getattr(doc, attribute),
            (lambda x: method(x) if render in ("seller", "attribute") else method(doc, x)),
        )

    async def listing(call: Call) -> web.StreamResponse:
        doc, items, render_one = parts(call)
        return _listing(call, f"documents/{doc.id}/{attribute_path}", items, render_one)

    async def item(call: Call) -> web.StreamResponse:
        _, items, render_one = parts(call)
        found = next((x for x in items if key(x) == call.path["itemId"]), None)
        return _item(render_one(found) if found is not None else None, attribute_path.rstrip("s"))

    attribute_path = {"taxes": "document_taxes"}.get(attribute, attribute)
    return listing, item


list_details, get_detail = _document_part("details", "detail", lambda d: d.id)
list_references, get_reference = _document_part("references", "reference", lambda r: r.id)
list_document_taxes, get_document_tax = _document_part("taxes", "document_tax", lambda t: t.id)
list_sellers, get_seller = _document_part("sellers", "seller", lambda u: u)
list_attributes, get_attribute = _document_part("attributes", "attribute", lambda a: a[0])


# --- the catalogue -----------------------------------------------------------------------------------


def _records(call: Call, kind: str) -> list[Any]:
    instance = _instance(call)
    if kind == "payments":  # their ids: only a page's payments are unpacked from their documents
        ids = instance.payment_owners.ids()
        if call.request.query.get("state", "0") != "0":
            return []
        if "documentid" in call.request.query:
            wanted = call.request.query["documentid"].strip()
            ids = [i for i in ids if str(instance.payment_owners.get(i)) == wanted]
        return ids
    return query.filtered(call, kind, list(instance.catalogue.table(kind).values()))


def catalogue(kind: str) -> tuple[Handler, Handler, Handler]:
    def find(call: Call, ident: Any) -> Any:
        instance = _instance(call)
        return instance.payment(ident) if kind == "payments" else instance.get(kind, ident)

    def render(call: Call) -> Callable[[Any], dict[str, Any]]:
        renderer = _renderer(call)
        return renderer.payment if kind == "payments" else (lambda r: renderer.record(kind, r))

    async def listing(call: Call) -> web.StreamResponse:
        render_one = render(call)
        if kind == "payments":
            return _listing(call, kind, _records(call, kind), lambda i: render_one(find(call, i)))
        return _listing(call, kind, _records(call, kind), render_one)

    async def item(call: Call) -> web.StreamResponse:
        found = find(call, call.path["id"])
        return _item(render(call)(found) if found is not None else None, kind.rstrip("s").replace("_", " "))

    async def count(call: Call) -> web.StreamResponse:
        return json_response({"count": len(_records(call, kind))})

    return listing, item, count


def _record(call: Call, kind: str, what: str) -> dict[str, Any]:
    """The catalogue record the path's `id` names in this instance, or Bsale's 404."""
    found = _instance(call).get(kind, call.path["id"])
    if found is None:
        raise MockError(Kind.NOT_FOUND, f"{what} not found")
    return found


def _price_list(call: Call) -> dict[str, Any]:
    return _record(call, "price_lists", "price list")


async def list_price_list_details(call: Call) -> web.StreamResponse:
    price_list = _price_list(call)
    details = _renderer(call).price_list_details(price_list)
    variants = _instance(call).catalogue.variants
    by_variant = {"variantid": "id", "code": "code", "barcode": "barCode"}
    for param, key in by_variant.items():  # a detail is filtered by its variant's id, code or barcode
        if param in call.request.query:
            wanted = call.request.query[param].strip().lower()
            details = [d for d in details if str(variants[d["id"]].get(key, "")).lower() == wanted]
    return _listing(call, f"price_lists/{price_list['id']}/details", details, lambda x: x)


async def update_price_list_detail(call: Call) -> web.StreamResponse:
    price_list = _price_list(call)
    variant = _instance(call).get("variants", call.path["itemId"])
    if variant is None or str(price_list["id"]) not in variant["prices"]:
        raise MockError(Kind.NOT_FOUND, "price list detail not found")
    variant["prices"][str(price_list["id"])] = float((call.body or {})["variantValue"])
    details = _renderer(call).price_list_details(price_list)
    return json_response(next(d for d in details if d["id"] == variant["id"]))


async def update_document_type(call: Call) -> web.StreamResponse:
    doc_type = _record(call, "document_types", "document type")
    doc_type.update(call.body or {})  # the schema lets through only name, state and useClient
    return json_response(_renderer(call).record("document_types", doc_type))


async def get_price_list_detail(call: Call) -> web.StreamResponse:
    details = _renderer(call).price_list_details(_price_list(call))
    return _item(next((d for d in details if d["id"] == call.path["itemId"]), None), "price list detail")


async def list_product_variants(call: Call) -> web.StreamResponse:
    product = _record(call, "products", "product")
    mine = [dict(v) for v in _instance(call).catalogue.variants.values() if v["productId"] == product["id"]]
    found, render = (
        query.filtered(call, "variants", mine),
        functools.partial(_renderer(call).record, "variants"),
    )
    return _listing(call, f"products/{product['id']}/variants", found, render)


def _client(call: Call) -> dict[str, Any]:
    return _record(call, "clients", "client")


async def create_client(call: Call) -> web.StreamResponse:
    client = _state(call).create_client(_instance(call), call.body or {})
    return json_response(_renderer(call).record("clients", client), status=201)


async def update_client(call: Call) -> web.StreamResponse:
    client = _state(call).update_client(_instance(call), _client(call), call.body or {})
    return json_response(_renderer(call).record("clients", client))


async def list_client_addresses(call: Call) -> web.StreamResponse:
    client = _client(call)
    renderer = _renderer(call)
    return _listing(
        call, f"clients/{client['id']}/addresses", client["addresses"], lambda a: renderer.address(client, a)
    )


async def get_client_address(call: Call) -> web.StreamResponse:
    client = _client(call)
    found = next((a for a in client["addresses"] if a["id"] == call.path["itemId"]), None)
    return _item(_renderer(call).address(client, found) if found else None, "address")


def _empty_client_collection(name: str) -> Handler:
    async def listing(call: Call) -> web.StreamResponse:
        client = _client(call)
        return _listing(call, f"clients/{client['id']}/{name}", [], lambda x: x)

    return listing


async def get_shipping_detail(call: Call) -> web.StreamResponse:
    shipping = _instance(call).shippings.get(call.path["id"])
    line = next((x for x in (shipping.lines if shipping else []) if x["id"] == call.path["itemId"]), None)
    if shipping is None or line is None:
        raise MockError(Kind.NOT_FOUND, "shipping detail not found")
    base = call.base_url()
    return json_response(
        {
            "href": f"{base}/v1/shippings/{shipping.id}/details/{line['id']}.json",
            "id": line["id"],
            "quantity": line["quantity"],
            "variantStock": line["stock_after"],
            "variantCost": line["cost"],
            "variantTotalCost": line["cost"] * line["quantity"],
            "variant": {
                "href": f"{base}/v1/variants/{line['variant_id']}.json",
                "id": str(line["variant_id"]),
            },
        }
    )


# --- the public document links (no access_token: the token in the URL is the key) ---------------------


def _public(call: Call) -> tuple[Instance, Document]:
    state = _state(call)
    cpn = call.path["cpnId"]
    instance = state.by_cpn(int(cpn)) if cpn.isascii() and cpn.isdigit() and len(cpn) < 10 else None
    doc = None
    if instance is not None:
        ids = instance.indexes["token"].ids(call.path["token"])
        doc = instance.documents[ids[0]] if ids else None
    if instance is None or doc is None:
        raise MockError(Kind.NOT_FOUND, "document not found")
    return instance, doc


async def get_document_pdf(call: Call) -> web.StreamResponse:
    instance, doc = _public(call)
    return web.Response(body=artifacts.pdf(instance, doc), content_type="application/pdf")


async def get_document_public_view(call: Call) -> web.StreamResponse:
    instance, doc = _public(call)
    pdf_url = f"{call.base_url()}/view/{instance.cpn_id}/{doc.token}.pdf"
    return web.Response(text=artifacts.public_view(instance, doc, pdf_url), content_type="text/html")


async def get_document_xml(call: Call) -> web.StreamResponse:
    instance, doc = _public(call)
    if not doc.electronic:
        raise MockError(Kind.NOT_FOUND, "document not found")
    return web.Response(
        body=artifacts.dte_xml(instance, doc, call.state.keys), content_type="application/xml"
    )
