"""The request journal and the access log: what the client sent and the status it really got."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from mockserver.core.errors import MockError
from mockserver.core.pipeline.call import Call, Next
from mockserver.core.plugin import Principal
from mockserver.core.services import multipart
from mockserver.core.services.journal import Entry, kept_response
from mockserver.core.services.masking import MASK, mask_value, mentions_secret

log = logging.getLogger("mockserver.access")


async def journal(call: Call, next: Next) -> web.StreamResponse:
    runtime, request, op = call.runtime, call.request, call.op
    loop_time = asyncio.get_running_loop().time
    started, at = loop_time(), runtime.clock.now()
    response = await next(call)
    ms = round((loop_time() - started) * 1000, 3)
    if call.principal is None and (call.scenario is not None or call.injected):
        await _identify(call)  # answered before authentication: the journal still names the sandbox
    tenant = call.principal.tenant if call.principal else None
    if op is not None and request.body_exists:
        await call.read()  # an operation without a body still shows what was sent to it
    if op is not None:
        runtime.coverage.request(
            call.provider.name, tenant, op.id, response.status, call.error_code, call.scenario
        )
    runtime.journal.record(
        Entry(
            id=runtime.journal.next_id(),
            at=at,
            provider=call.provider.name,
            operation=op.id if op else None,
            tenant=tenant,
            method=request.method,
            path=request.path,
            query=request.query,
            status=response.status,
            duration_ms=ms,
            request_headers=request.headers,
            request_body=_journal_body(call),
            response_headers=response.headers,
            scenario=call.scenario,
            response_body=kept_response(getattr(response, "body", None), response.headers),
        )
    )
    if log.isEnabledFor(logging.INFO):
        fields = {
            "correlation": call.correlation_id,
            "provider": call.provider.name,
            "op": op.id if op else None,
            "method": request.method,
            "path": request.path,
            "status": response.status,
            "ms": ms,
            "tenant": tenant,
            "scenario": call.scenario,
            "replay": call.replaying,
        }
        log.info("%s %s → %d", request.method, request.path, response.status, extra={"fields": fields})
    return response


async def _identify(call: Call) -> None:
    """The sandbox a scenario-answered request's credential opens, verified as authentication would
    (an unverified claim must not put a request in another sandbox's journal), or none."""
    auth, op = call.provider.provider.auth, call.op
    if auth is None or op is None or not op.secured:
        return
    try:
        principal = await auth.authenticate(call.request, op)
    except MockError:
        return
    call.principal = Principal(call.provider.sandbox_of(principal.tenant), principal.scopes)


def _journal_body(call: Call) -> Any:
    if isinstance(call.body, dict):  # a file upload shows its name, type and size, never its content
        return mask_value(
            {k: v.summary() if isinstance(v, multipart.Upload) else v for k, v in call.body.items()}
        )
    if call.body is not None:
        return mask_value(call.body)
    if call.op is not None and call.raw_body:
        text = call.raw_body.decode("utf-8", "replace")
        return MASK if mentions_secret(text) else mask_value(text)  # unreadable: it may hold one anywhere
    return None
