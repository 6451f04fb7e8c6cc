"""Thin handlers; the catalogue's list/item/count handlers are made by one factory each."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.core.plugin import Handler, json_response
from mockserver.providers.bsale import artifacts, query, stocks
from mockserver.providers.bsale.calls import (
    answer_document,
    answer_item,
    answer_list,
    instance_of,
    page,
    renderer_of,
    state_of,
)
from mockserver.providers.bsale.documents import Document
from mockserver.providers.bsale.instance import Instance
from mockserver.providers.bsale.render import (
    bracket_list,
    select_fields,
)

# --- documents ---------------------------------------------------------------------------------------


async def list_documents(call: Call) -> web.StreamResponse:
    instance = instance_of(call)
    ids = query.matching_ids(instance, call.request.query)
    renderer, documents = renderer_of(call), instance.documents
    return answer_list(
        call,
        "documents",
        ids,
        lambda i: renderer.document(documents[i]),
        lambda i: renderer.document_json(documents[i]),
    )


async def create_document(call: Call) -> web.StreamResponse:
    if not isinstance(call.body, dict):
        raise MockError(Kind.VALIDATION, "Invalid JSON object")
    doc, created = state_of(call).create(instance_of(call), call.body, call.scenario)
    return json_response(renderer_of(call).document(doc), status=201 if created else 200)


def _document(call: Call) -> Document:
    return state_of(call).document(instance_of(call), call.path["id"])


async def get_document(call: Call) -> web.StreamResponse:
    document = state_of(call).poll_document(instance_of(call), call.path["id"])
    return answer_document(renderer_of(call), document)


async def delete_document(call: Call) -> web.StreamResponse:
    doc = state_of(call).delete(instance_of(call), call.path["id"], call.query.get("officeId"))
    return json_response(renderer_of(call).document(doc))


async def count_documents(call: Call) -> web.StreamResponse:
    return json_response({"count": len(query.matching_ids(instance_of(call), call.request.query))})


async def get_documents_summary(call: Call) -> web.StreamResponse:
    rows = query.summary(instance_of(call), call.request.query)
    limit, offset = page(call)
    fields = bracket_list(call.request.query.get("fields"))
    shown = rows[offset : offset + limit]
    return json_response([select_fields(r, fields) for r in shown] if fields else shown)


async def get_ticket_summary(call: Call) -> web.StreamResponse:
    return json_response(query.ticket_summary(instance_of(call), call.request.query))


async def get_document_costs(call: Call) -> web.StreamResponse:
    instance = instance_of(call)
    if "documentid" in call.query:
        doc = instance.documents.get(call.query["documentid"])
    else:
        matches = query.filter_documents(
            instance, {k: v for k, v in call.request.query.items() if k in ("number", "codesii")}
        )
        doc = matches[0] if matches and ("number" in call.query or "codesii" in call.query) else None
    if doc is None:
        raise MockError(Kind.NOT_FOUND, "document not found")
    return json_response(state_of(call).costs(instance, doc, call.base_url()))


def _document_part(attribute: str, render: str, key: Callable[[Any], Any]) -> tuple[Handler, Handler]:
    """The list and item handlers of one of a document's collections (details, references, …)."""

    def parts(call: Call) -> tuple[Document, list[Any], Callable[[Any], dict[str, Any]]]:
        doc = _document(call)
        renderer = renderer_of(call)
        method = getattr(renderer, render)
        return (
            doc,
            getattr(doc, attribute),
            (lambda x: method(x) if render in ("seller", "attribute") else method(doc, x)),
        )

    async def listing(call: Call) -> web.StreamResponse:
        doc, items, render_one = parts(call)
        return answer_list(call, f"documents/{doc.id}/{attribute_path}", items, render_one)

    async def item(call: Call) -> web.StreamResponse:
        _, items, render_one = parts(call)
        found = next((x for x in items if key(x) == call.path["itemId"]), None)
        return answer_item(render_one(found) if found is not None else None, attribute_path.rstrip("s"))

    attribute_path = {"taxes": "document_taxes"}.get(attribute, attribute)
    return listing, item


list_details, get_detail = _document_part("details", "detail", lambda d: d.id)
list_references, get_reference = _document_part("references", "reference", lambda r: r.id)
list_document_taxes, get_document_tax = _document_part("taxes", "document_tax", lambda t: t.id)
list_sellers, get_seller = _document_part("sellers", "seller", lambda u: u)
list_attributes, get_attribute = _document_part("attributes", "attribute", lambda a: a[0])


# --- the catalogue -----------------------------------------------------------------------------------


def _records(call: Call, kind: str) -> list[Any]:
    instance = instance_of(call)
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
        instance = instance_of(call)
        return instance.payment(ident) if kind == "payments" else instance.get(kind, ident)

    def render(call: Call) -> Callable[[Any], dict[str, Any]]:
        renderer = renderer_of(call)
        return renderer.payment if kind == "payments" else (lambda r: renderer.record(kind, r))

    async def listing(call: Call) -> web.StreamResponse:
        render_one = render(call)
        if kind == "payments":
            return answer_list(call, kind, _records(call, kind), lambda i: render_one(find(call, i)))
        return answer_list(call, kind, _records(call, kind), render_one)

    async def item(call: Call) -> web.StreamResponse:
        found = find(call, call.path["id"])
        return answer_item(
            render(call)(found) if found is not None else None, kind.rstrip("s").replace("_", " ")
        )

    async def count(call: Call) -> web.StreamResponse:
        return json_response({"count": len(_records(call, kind))})

    return listing, item, count


def _record(call: Call, kind: str, what: str) -> dict[str, Any]:
    """The catalogue record the path's `id` names in this instance, or Bsale's 404."""
    found = instance_of(call).get(kind, call.path["id"])
    if found is None:
        raise MockError(Kind.NOT_FOUND, f"{what} not found")
    return found


def _price_list(call: Call) -> dict[str, Any]:
    return _record(call, "price_lists", "price list")


async def list_price_list_details(call: Call) -> web.StreamResponse:
    price_list = _price_list(call)
    details = renderer_of(call).price_list_details(price_list)
    variants = instance_of(call).catalogue.variants
    by_variant = {"variantid": "id", "code": "code", "barcode": "barCode"}
    for param, key in by_variant.items():  # a detail is filtered by its variant's id, code or barcode
        if param in call.request.query:
            wanted = call.request.query[param].strip().lower()
            details = [d for d in details if str(variants[d["id"]].get(key, "")).lower() == wanted]
    return answer_list(call, f"price_lists/{price_list['id']}/details", details, lambda x: x)


async def update_price_list_detail(call: Call) -> web.StreamResponse:
    price_list = _price_list(call)
    variant = instance_of(call).get("variants", call.path["itemId"])
    if variant is None or str(price_list["id"]) not in variant["prices"]:
        raise MockError(Kind.NOT_FOUND, "price list detail not found")
    variant["prices"][str(price_list["id"])] = float((call.body or {})["variantValue"])
    details = renderer_of(call).price_list_details(price_list)
    return json_response(next(d for d in details if d["id"] == variant["id"]))


async def update_document_type(call: Call) -> web.StreamResponse:
    doc_type = _record(call, "document_types", "document type")
    doc_type.update(call.body or {})  # the schema lets through only name, state and useClient
    return json_response(renderer_of(call).record("document_types", doc_type))


async def get_price_list_detail(call: Call) -> web.StreamResponse:
    details = renderer_of(call).price_list_details(_price_list(call))
    return answer_item(
        next((d for d in details if d["id"] == call.path["itemId"]), None), "price list detail"
    )


# the exchange rates the mock quotes: a peso is a peso; the others move a little from day to day
RATES = {"Dólar Estadounidense": 950.0, "Unidad de Fomento": 37000.0}


async def get_coin_exchange_rate(call: Call) -> web.StreamResponse:
    coin = _record(call, "coins", "coin")
    base = RATES.get(coin["name"])
    if base is None:
        return json_response({"exchangeRate": 1.0})
    day = int(call.path["date"]) // 86400
    wobble = ((day * 2654435761) % 2001 - 1000) / 100_000  # within ±1 %, the same for the same day
    return json_response({"exchangeRate": round(base * (1 + wobble), 2)})


async def get_variant_costs(call: Call) -> web.StreamResponse:
    variant = _record(call, "variants", "variant")
    return json_response(stocks.variant_costs(renderer_of(call), variant))  # type: ignore[arg-type]


async def list_product_variants(call: Call) -> web.StreamResponse:
    product = _record(call, "products", "product")
    mine = [dict(v) for v in instance_of(call).catalogue.variants.values() if v["productId"] == product["id"]]
    found, render = (
        query.filtered(call, "variants", mine),
        functools.partial(renderer_of(call).record, "variants"),
    )
    return answer_list(call, f"products/{product['id']}/variants", found, render)


def _client(call: Call) -> dict[str, Any]:
    return _record(call, "clients", "client")


async def create_client(call: Call) -> web.StreamResponse:
    client = state_of(call).create_client(instance_of(call), call.body or {})
    return json_response(renderer_of(call).record("clients", client), status=201)


async def update_client(call: Call) -> web.StreamResponse:
    client = state_of(call).update_client(instance_of(call), _client(call), call.body or {})
    return json_response(renderer_of(call).record("clients", client))


async def list_client_addresses(call: Call) -> web.StreamResponse:
    client = _client(call)
    renderer = renderer_of(call)
    return answer_list(
        call, f"clients/{client['id']}/addresses", client["addresses"], lambda a: renderer.address(client, a)
    )


async def get_client_address(call: Call) -> web.StreamResponse:
    client = _client(call)
    found = next((a for a in client["addresses"] if a["id"] == call.path["itemId"]), None)
    return answer_item(renderer_of(call).address(client, found) if found else None, "address")


def _empty_client_collection(name: str) -> Handler:
    async def listing(call: Call) -> web.StreamResponse:
        client = _client(call)
        return answer_list(call, f"clients/{client['id']}/{name}", [], lambda x: x)

    return listing


# --- the public document links (no access_token: the token in the URL is the key) ---------------------


def _public(call: Call) -> tuple[Instance, Document]:
    state = state_of(call)
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


async def get_document_timbre(call: Call) -> web.StreamResponse:
    instance, doc = _public(call)
    if doc.ted is None:
        raise MockError(Kind.NOT_FOUND, "document not found")
    return web.Response(body=artifacts.timbre_png(instance, doc), content_type="image/png")


async def get_document_xml(call: Call) -> web.StreamResponse:
    instance, doc = _public(call)
    if not doc.electronic:
        raise MockError(Kind.NOT_FOUND, "document not found")
    return web.Response(
        body=artifacts.dte_xml(instance, doc, call.state.keys), content_type="application/xml"
    )
