"""Bsale's stock handlers: stock records by variant and office, receptions and consumptions."""

from __future__ import annotations

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.core.plugin import json_response
from mockserver.providers.bsale import calls as h
from mockserver.providers.bsale.catalogue import Variant
from mockserver.providers.bsale.stocks import (
    find_stock,
    record_move,
    render_move,
    render_move_line,
    render_stock,
    stocks,
)


def moves(kind: str) -> h.Records:
    """The handlers of receptions or consumptions."""
    return h.Records(
        f"stocks/{kind}",
        kind[:-1],
        lambda instance: instance.stock_moves.get(kind, {}),
        {"officeid": lambda m: str(m.office_id)},
        lambda state, instance, body, _: record_move(state, instance, kind, body),
        render_move,
        render_move_line,
    )


def _stock_query(call: Call) -> list[tuple[Variant, int]]:
    return stocks(h.instance_of(call), dict(call.request.query))


async def list_stocks(call: Call) -> web.StreamResponse:
    renderer = h.renderer_of(call)
    return h.answer_list(call, "stocks", _stock_query(call), lambda vo: render_stock(renderer, *vo))


async def count_stocks(call: Call) -> web.StreamResponse:
    return json_response({"count": len(_stock_query(call))})


async def get_stock(call: Call) -> web.StreamResponse:
    found = find_stock(h.instance_of(call), call.path["id"])
    if found is None:
        raise MockError(Kind.NOT_FOUND, "stock not found")
    return json_response(render_stock(h.renderer_of(call), *found))
