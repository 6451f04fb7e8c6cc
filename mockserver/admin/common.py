"""What every control-plane endpoint shares: its runtime, its JSON in and out, its one error."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aiohttp import web

from mockserver.core import formats
from mockserver.core.runtime import RUNTIME, Runtime


class AdminError(Exception):
    """A control-plane request that cannot be done as asked: 400 with its reason."""

    status = 400


class Unauthorized(AdminError):
    """No admin token and no sandbox credential that checks out."""

    status = 401


class Forbidden(AdminError):
    """A sandbox's credential asking for more than its sandbox."""

    status = 403


def runtime_of(request: web.Request) -> Runtime:
    return request.config_dict[RUNTIME]


def reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":"))
    )


BODY = web.RequestKey("admin_body", object)  # the body `contract` decoded and checked


async def json_body(request: web.Request) -> dict[str, Any]:
    if BODY in request:
        data = request[BODY]
    elif not request.body_exists or not (raw := await request.read()):
        return {}
    else:
        data = decoded(raw)
    if not isinstance(data, dict):
        raise AdminError("the body must be a JSON object")
    return data


def decoded(raw: bytes) -> Any:
    """A control-plane body as JSON, refused in the control plane's words when no backend could hold it."""
    try:
        return formats.loads(raw)
    except formats.OutOfRange:
        raise AdminError("a number in the body is out of range") from None
    except formats.Unsafe:
        raise AdminError("the body holds a NUL or an unpaired surrogate") from None
    except ValueError:
        raise AdminError("the body must be a JSON object") from None


def check_keys(given: Any, allowed: Iterable[str], what: str) -> None:
    """Refuse a key the call does not know (a typo would otherwise be ignored and the call half-done)."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise AdminError(
            f"unknown {what} {', '.join(map(repr, unknown))}; known: {', '.join(sorted(allowed))}"
        )


def check_provider(runtime: Runtime, provider: Any, *, required: bool = True) -> None:
    if provider is None and not required:
        return
    if provider not in runtime.providers:
        raise AdminError(f"unknown provider {provider!r}; running: {', '.join(runtime.providers)}")


def check_operation(runtime: Runtime, provider: Any, operation: Any) -> None:
    """An operationId of the provider's spec (of any running provider's when none is named)."""
    if operation is None:
        return
    specs = (
        [runtime.providers[provider].spec]
        if provider in runtime.providers
        else [pr.spec for pr in runtime.providers.values()]
    )
    if not any(operation in spec.operations for spec in specs):
        names = sorted(op for spec in specs for op in spec.operations)
        close = [n for n in names if n.lower().startswith(str(operation)[:4].lower())][:8]
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(names)}"
        raise AdminError(f"unknown operation {operation!r}{' for ' + provider if provider else ''}{hint}")


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
        response = reply({"error": str(error)}, error.status)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="mockserver"'
        return response
