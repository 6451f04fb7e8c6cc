"""Hacienda's sandbox limits per minute, as a public client's limiter documents them."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from mockserver.core.plugin import Limits
from mockserver.core.services.ratelimit import Bucket, limit_headers
from mockserver.core.specs import Operation

ALL = Bucket("all", 300)
POST_OK = Bucket("post-2xx", 100)
POST_AUTH = Bucket("post-401-403", 5)
POST_OTHER = Bucket("post-4xx", 10)
GET_OK = Bucket("get-2xx", 100)
GET_4XX = Bucket("get-4xx", 20)
IDP_OK = Bucket("idp-2xx", 10)
IDP_AUTH = Bucket("idp-401-403", 5)


def _is_idp(op: Operation | None) -> bool:
    """The IdP's own budget is for logins (the token endpoint); its metadata, userinfo, introspection,
    revocation and logout are not counted, as a Keycloak realm does not limit them."""
    return op is not None and op.id == "createToken"


def _is_metadata(op: Operation | None) -> bool:
    return op is not None and op.extensions.get("x-mock-envelope") == "keycloak" and op.id != "createToken"


class HaciendaLimits:
    """Each outcome class has its own budget; a spent error budget blocks the method until the window ends."""

    shows_headers = True

    def before(self, request: web.Request, op: Operation | None, tenant: str | None) -> Limits | None:
        key = tenant or f"ip:{request.remote}"
        if _is_metadata(op):
            return None
        if _is_idp(op):
            return Limits(key, guard=(IDP_OK, IDP_AUTH), charge=(), headers=False)
        if request.method == "POST":
            return Limits(key, guard=(ALL, POST_OK, POST_AUTH, POST_OTHER), charge=(ALL,))
        return Limits(key, guard=(ALL, GET_OK, GET_4XX), charge=(ALL,))

    def after(self, request: web.Request, op: Operation | None, status: int) -> Sequence[Bucket]:
        ok = status < 400
        auth = status in (401, 403)
        if _is_idp(op):
            return (IDP_OK,) if ok else (IDP_AUTH,) if auth else ()
        if request.method == "POST":
            return (POST_OK,) if ok else (POST_AUTH,) if auth else (POST_OTHER,) if status < 500 else ()
        return (GET_OK,) if ok else (GET_4XX,) if status < 500 else ()

    def headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return limit_headers(limit, remaining, reset, prefix="X-Ratelimit")  # Reset: UTC epoch seconds
