"""`Authorization: Bearer <API_KEY>`: every key is its own sandbox."""

from __future__ import annotations

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.plugin import Principal, credential
from mockserver.core.specs import Operation


def presented_key(request: web.Request) -> str | None:
    return credential(request.headers.get("Authorization"), "bearer")


class BearerKey:
    async def authenticate(self, request: web.Request, op: Operation) -> Principal:
        key = presented_key(request)
        if key is None:
            raise MockError(Kind.UNAUTHORIZED, "missing API key")
        return Principal(key)

    def peek_tenant(self, request: web.Request) -> str | None:
        return presented_key(request)
