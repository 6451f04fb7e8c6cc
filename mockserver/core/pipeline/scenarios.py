"""Fault injection: an `X-Mock-Scenario` header or an admin rule answers in the handler's place (an
error in the provider's envelope, a delay, a dropped connection, a body trickled out slowly)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.payload import AsyncIterablePayload

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline.call import Call, Next
from mockserver.core.pipeline.strict import body_bytes
from mockserver.core.services.scenarios import HEADER

log = logging.getLogger("mockserver.scenarios")
STATUS_KINDS = {
    400: Kind.VALIDATION,
    401: Kind.UNAUTHORIZED,
    403: Kind.FORBIDDEN,
    404: Kind.NOT_FOUND,
    405: Kind.METHOD_NOT_ALLOWED,
    409: Kind.CONFLICT,
    413: Kind.PAYLOAD_TOO_LARGE,
    429: Kind.RATE_LIMITED,
    500: Kind.INTERNAL,
    501: Kind.UNSUPPORTED,
}


async def scenarios(call: Call, next: Next) -> web.StreamResponse:
    request = call.request
    engine = call.runtime.scenarios
    header = request.headers.get(HEADER)
    if not engine.rules and not header:
        return await next(call)
    if header and header not in engine.catalogue(call.provider.name):
        # a typo must not pass as the normal answer: the client's test would pass when it should fail
        call.injected = True
        known = ", ".join(engine.catalogue(call.provider.name))
        raise MockError(
            Kind.VALIDATION,
            f"Unknown {HEADER} {header!r} for {call.provider.name}; known: {known}",
            field=HEADER,
            code="unknown_scenario",
        )
    body: Any = None
    if request.body_exists and any(r.match is not None for r in engine.rules):
        body = await call.json_for_match()
    action = engine.pick(
        provider=call.provider.name,
        operation=call.op.id if call.op else None,
        tenant=call.claimed_sandbox(),
        method=request.method,
        path=request.path,
        body=body,
        header=header,
    )
    if action is None:
        return await next(call)
    call.scenario = action.get("name") or action.get("rule")  # a rule without a name goes by its id
    if action.get("delay") and not call.replaying:  # a replay repeats the outcome, not the wait
        log.debug("%s holds its answer %s s (%s)", request.path, action["delay"], call.scenario or "rule")
        await engine.sleep(float(action["delay"]))
    if action.get("drop"):
        call.injected = True
        if request.transport is not None:
            request.transport.abort()  # the client sees the connection reset; what follows is never sent
        return web.Response(status=499)
    status = action.get("status")
    if status:
        call.injected = True
        headers = {"Retry-After": str(action["retry_after"])} if action.get("retry_after") else {}
        kind = STATUS_KINDS.get(status, Kind.UNAVAILABLE if status >= 500 else Kind.VALIDATION)
        raise MockError(
            kind,
            action.get("message") or f"Scenario {call.scenario or action.get('rule')}",
            code=action.get("code"),
            status=status,
            headers=headers,
        )
    response = await next(call)
    if action.get("slow_body") and isinstance(response, web.Response) and not call.replaying:
        call.injected = True  # checked before it was slowed; the streamed copy is not read again
        return _slow(response, float(action["slow_body"]), engine.sleep)
    return response


def _slow(response: web.Response, seconds: float, sleep: Callable[[float], Awaitable[None]]) -> web.Response:
    """The same answer, its body trickled out over `seconds` (headers go first, as from a slow server)."""
    body = body_bytes(response)
    chunks = [
        body[i : i + max(1, len(body) // 10)] for i in range(0, len(body), max(1, len(body) // 10))
    ] or [b""]

    async def trickle() -> Any:
        for chunk in chunks:
            await sleep(seconds / len(chunks))
            yield chunk

    slow = web.Response(
        status=response.status,
        headers={
            k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")
        },
        body=AsyncIterablePayload(trickle()),
    )
    slow.content_type = response.content_type
    return slow
