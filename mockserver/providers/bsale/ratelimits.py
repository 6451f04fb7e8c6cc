"""Bsale's documented limits: 10 requests a second and 3000 every 300 seconds, per access token."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from mockserver.core.plugin import Limits
from mockserver.core.services.ratelimit import Bucket
from mockserver.core.specs import Operation

PER_SECOND = Bucket("per-second", 10, window=1.0)
PER_FIVE_MINUTES = Bucket("per-300s", 3000, window=300.0)


class BsaleLimits:
    shows_headers = False  # no rate-limit headers: none are documented

    def before(self, request: web.Request, op: Operation | None, tenant: str | None) -> Limits | None:
        key = tenant or f"ip:{request.remote}"
        # Bsale documents no rate-limit headers
        return Limits(
            key, guard=(PER_SECOND, PER_FIVE_MINUTES), charge=(PER_SECOND, PER_FIVE_MINUTES), headers=False
        )

    def after(self, request: web.Request, op: Operation | None, status: int) -> Sequence[Bucket]:
        return ()

    def headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {}
