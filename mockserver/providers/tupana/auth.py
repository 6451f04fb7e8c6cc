"""`Authorization: Api-Key <key>`: one key per user, its own sandbox; production keys are refused."""

from __future__ import annotations

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.plugin import Principal, credential
from mockserver.core.specs import Operation

# documented magic keys: a production key, and one whose every call finds the service unavailable
PRODUCTION_PREFIXES = ("live_", "prod_", "sk_live_")
UNAVAILABLE_KEY = "sandbox_unavailable"


def presented_key(request: web.Request) -> str | None:
    return credential(request.headers.get("Authorization"), "api-key")


class ApiKey:
    async def authenticate(self, request: web.Request, op: Operation) -> Principal:
        key = presented_key(request)
        if key is None:
            raise MockError(
                Kind.UNAUTHORIZED,
                "Missing or malformed API key: send Authorization: Api-Key <key>",
                code="invalid_api_key",
            )
        if key.startswith(PRODUCTION_PREFIXES):
            raise MockError(
                Kind.FORBIDDEN,
                "This is a sandbox (mockserver): production API keys are refused. Use a sandbox key.",
                code="production_key_not_allowed",
            )
        if key == UNAVAILABLE_KEY:
            raise MockError(
                Kind.UNAVAILABLE,
                "The service is temporarily unavailable; the request was not processed",
                code="service_unavailable",
                headers={"Retry-After": "30"},
            )
        return Principal(key)

    def peek_tenant(self, request: web.Request) -> str | None:
        return presented_key(request)
