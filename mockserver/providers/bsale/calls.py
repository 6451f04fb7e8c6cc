"""What every Bsale handler does with a call: its state, its instance, its renderer, and Bsale's list
and item answers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.core.plugin import json_body_response, json_bytes, json_response
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

if TYPE_CHECKING:
    from mockserver.providers.bsale.state import BsaleState


def state_of(call: Call) -> BsaleState:
    state: BsaleState = call.state
    return state


def instance_of(call: Call) -> Instance:
    """The caller's instance; a read by a token that never wrote sees a new instance without making one."""
    return state_of(call).instance(call.tenant, create=call.request.method not in ("GET", "HEAD"))


def expand(call: Call) -> frozenset[str]:
    return _expanded(call.request.query.get("expand"))


@functools.lru_cache(maxsize=256)
def _expanded(value: str | None) -> frozenset[str]:
    """The relations an `expand` value names, worked out once per value (clients send a few, often)."""
    names = set(bracket_list(value))
    # the seed writes expand=[document_types,...]; both the singular and the plural name work
    return frozenset(names | {n[:-1] for n in names if n.endswith("s")})


def renderer_of(call: Call) -> Renderer:
    return Renderer(instance_of(call), call.base_url(), expand(call))


def page(call: Call) -> tuple[int, int]:
    limit = call.query.get("limit") or DEFAULT_LIMIT
    return min(limit, MAX_LIMIT), call.query.get("offset") or 0


def answer_list(
    call: Call,
    path: str,
    items: list[Any],
    render: Callable[[Any], dict[str, Any]],
    encoded: Callable[[Any], bytes | None] | None = None,
) -> web.Response:
    """A page of `items` in Bsale's envelope. `encoded`, where given, answers an item's JSON already
    encoded (kept from an earlier answer), so the page is those bytes joined, byte for byte what
    encoding the rendered items would give; `fields` narrows the rendered items instead."""
    limit, offset = page(call)
    fields = bracket_list(call.request.query.get("fields"))
    window = items[offset : offset + limit]
    href = f"{call.base_url()}/v1/{path}.json"
    others = {k: v for k, v in call.request.query.items() if k not in ("limit", "offset")}
    if encoded is not None and not fields:
        parts = [encoded(item) for item in window]
        if all(part is not None for part in parts):
            head = json_bytes(envelope(href, [], len(items), limit, offset, others))
            # `"items":[]` is found only where the envelope wrote it: a quote inside a string is escaped
            joined = b'"items":[' + b",".join(parts) + b"]"  # type: ignore[arg-type]
            return json_body_response(head.replace(b'"items":[]', joined, 1))
    shown = [render(item) for item in window]
    if fields:
        shown = [select_fields(item, fields) for item in shown]
    return json_response(envelope(href, shown, len(items), limit, offset, others))


def answer_item(data: dict[str, Any] | None, what: str) -> web.Response:
    if data is None:
        raise MockError(Kind.NOT_FOUND, f"{what} not found")
    return json_response(data)


def answer_document(renderer: Renderer, doc: Document, status: int = 200) -> web.Response:
    """One document, from the JSON kept since it last changed where there is some."""
    body = renderer.document_json(doc)
    if body is None:
        return json_response(renderer.document(doc), status=status)
    return json_body_response(body, status=status)


@dataclass(frozen=True)
class Records:
    """The handlers of one kind of record an instance keeps by id with its lines (returns, shippings,
    receptions, consumptions): make one, list and count them by their filters, read one and its lines."""

    path: str  # under /v1, as its hrefs have it: "returns", "stocks/receptions"
    what: str  # named in its 404: "return not found"
    table: Callable[[Instance], dict[int, Any]]
    filters: dict[str, Callable[[Any], str]]  # a filter → the record's value for it
    make: Callable[[BsaleState, Instance, dict[str, Any], str | None], Any]
    render: Callable[[Renderer, Any], dict[str, Any]]
    render_line: Callable[[Renderer, Any, dict[str, Any]], dict[str, Any]]

    def one(self, call: Call) -> Any:
        found = self.table(instance_of(call)).get(call.path["id"])
        if found is None:
            raise MockError(Kind.NOT_FOUND, f"{self.what} not found")
        return found

    def matching(self, call: Call) -> list[Any]:
        """Records whose values equal every filter the query gives (as text, case aside)."""
        found = list(self.table(instance_of(call)).values())
        for param, value_of in self.filters.items():
            if param in call.request.query:
                wanted = call.request.query[param].strip().lower()
                found = [r for r in found if value_of(r).lower() == wanted]
        return found

    async def create(self, call: Call) -> web.StreamResponse:
        made = self.make(state_of(call), instance_of(call), call.body, call.scenario)
        return json_response(self.render(renderer_of(call), made), status=201)

    async def listing(self, call: Call) -> web.StreamResponse:
        renderer = renderer_of(call)
        return answer_list(call, self.path, self.matching(call), lambda r: self.render(renderer, r))

    async def count(self, call: Call) -> web.StreamResponse:
        return json_response({"count": len(self.matching(call))})

    async def item(self, call: Call) -> web.StreamResponse:
        return json_response(self.render(renderer_of(call), self.one(call)))

    async def details(self, call: Call) -> web.StreamResponse:
        record, renderer = self.one(call), renderer_of(call)
        path = f"{self.path}/{record.id}/details"
        return answer_list(call, path, record.lines, lambda x: self.render_line(renderer, record, x))
