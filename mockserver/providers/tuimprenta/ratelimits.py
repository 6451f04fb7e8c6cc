"""60 requests a minute per API key, batches excepted; `X-RateLimit-*` on every response."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from mockserver.core.plugin import Limits
from mockserver.core.services.ratelimit import Bucket, limit_headers
from mockserver.core.specs import Operation

PER_MINUTE = Bucket("per-minute", 60)
BATCH_OPERATIONS = {"createBatch", "getBatch", "getBatchResultCsv", "getBatchResultJson"}


class TuimprentaLimits:
    shows_headers = True

    def before(self, request: web.Request, op: Operation | None, tenant: str | None) -> Limits | None:
        key = tenant or f"ip:{request.remote}"
        if op is not None and op.id in BATCH_OPERATIONS:
            # batches are excepted from the limit; they still show where the key stands
            return Limits(key, guard=(), charge=(), shown=PER_MINUTE)
        return Limits(key, guard=(PER_MINUTE,), charge=(PER_MINUTE,))

    def after(self, request: web.Request, op: Operation | None, status: int) -> Sequence[Bucket]:
        return ()

    def headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return limit_headers(limit, remaining, reset)
