"""Tu Pana's rate limit is not public: the mock allows 120 calls a minute per API key."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from mockserver.core.plugin import Limits
from mockserver.core.services.ratelimit import Bucket
from mockserver.core.specs import Operation

PER_MINUTE = Bucket("per-minute", 120)


class TupanaLimits:
    shows_headers = False  # no rate-limit headers: none are documented

    def before(self, request: web.Request, op: Operation | None, tenant: str | None) -> Limits | None:
        return Limits(
            tenant or f"ip:{request.remote}", guard=(PER_MINUTE,), charge=(PER_MINUTE,), headers=False
        )

    def after(self, request: web.Request, op: Operation | None, status: int) -> Sequence[Bucket]:
        return ()

    def headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {}
