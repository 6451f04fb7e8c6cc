"""Bsale authenticates with a header literally named `access_token`; each token is its own instance."""

from __future__ import annotations

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.plugin import Principal
from mockserver.core.specs import Operation
from mockserver.providers.bsale.state import BLOCKED_PREFIX

BLOCKED = "The instance is blocked for non-payment, please contact Bsale"


class AccessToken:
    async def authenticate(self, request: web.Request, op: Operation) -> Principal:
        token = request.headers.get("access_token", "").strip()
        if not token:
            raise MockError(Kind.UNAUTHORIZED, "missing access_token")
        if token.startswith(BLOCKED_PREFIX):
            raise MockError(Kind.VALIDATION, BLOCKED, status=402)
        return Principal(token)

    def peek_tenant(self, request: web.Request) -> str | None:
        return request.headers.get("access_token") or None
