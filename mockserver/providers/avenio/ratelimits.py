"""Avenio's quotas (not public): 120 calls a minute per client, 30 token requests a minute per address."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from mockserver.core.plugin import Limits
from mockserver.core.services.ratelimit import Bucket, limit_headers
from mockserver.core.specs import Operation

API = Bucket("api", 120)
TOKENS = Bucket("token", 30)


class AvenioLimits:
    shows_headers = True

    def before(self, request: web.Request, op: Operation | None, tenant: str | None) -> Limits | None:
        if op is not None and op.id == "createToken":
            return Limits(f"ip:{request.remote}", guard=(TOKENS,), charge=(TOKENS,))
        if op is None or not op.secured:
            return None
        return Limits(tenant or f"ip:{request.remote}", guard=(API,), charge=(API,))

    def after(self, request: web.Request, op: Operation | None, status: int) -> Sequence[Bucket]:
        return ()

    def headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return limit_headers(limit, remaining, reset)
