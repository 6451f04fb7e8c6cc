"""The write log's commit, innermost: a write is durable before its handler changes anything. When the
log cannot take it (a full disk, a read-only file), the handler never runs, so memory and the
idempotency store keep no trace of it, and the client gets a retryable 503 in the provider's envelope.
A replay is already in the log: it passes."""

from __future__ import annotations

import logging
import sqlite3

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline.call import Call, Next
from mockserver.core.pipeline.record import write_of

log = logging.getLogger("mockserver.persistence")


async def commit(call: Call, next: Next) -> web.StreamResponse:
    if not call.replaying:
        try:
            call.runtime.store.append(write_of(call), call.runtime.clock.state())
        except (sqlite3.Error, OSError) as error:
            log.error("the write log could not keep %s %s: %s", call.request.method, call.request.path, error)
            call.injected = True  # like a scenario's 503: the mock's own fault, not the operation's answer
            raise MockError(
                Kind.UNAVAILABLE, "The service is temporarily unavailable; retry later", code="unavailable"
            ) from None
        call.committed = True
    return await next(call)
