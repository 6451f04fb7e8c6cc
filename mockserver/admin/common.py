"""What every control-plane endpoint shares: its runtime, its JSON in and out, its one error."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from mockserver.core.runtime import RUNTIME, Runtime


class AdminError(Exception):
    """A control-plane request that cannot be done as asked: 400 with its reason."""


def runtime_of(request: web.Request) -> Runtime:
    return request.config_dict[RUNTIME]


def reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def json_body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise AdminError("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise AdminError("the body must be a JSON object")
    return data


def epoch(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise AdminError(f"not a time: {value!r} (use epoch seconds or ISO 8601)")


@web.middleware
async def admin_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except AdminError as error:
        return reply({"error": str(error)}, 400)
