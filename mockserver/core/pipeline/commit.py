"""The write log's commit, innermost: a write is durable before its handler changes anything. When the
log cannot take it (a full disk, a read-only file), the handler never runs, so memory and the
idempotency store keep no trace of it, and the client gets a retryable 503 in the provider's envelope.
A replay is already in the log: it passes."""

from __future__ import annotations

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline.call import Call, Next
from mockserver.core.pipeline.record import keep


async def commit(call: Call, next: Next) -> web.StreamResponse:
    if not call.replaying:
        if keep(call) is not None:
            call.injected = True  # like a scenario's 503: the mock's own fault, not the operation's answer
            raise MockError(
                Kind.UNAVAILABLE, "The service is temporarily unavailable; retry later", code="unavailable"
            )
        call.committed = True
    return await next(call)
