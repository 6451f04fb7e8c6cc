"""Who may call the control plane, and for which sandbox.

- `GET /__admin/health` and the demo receiver (`/__admin/inbox/<name>` taking a delivery) are open.
- The admin token (`--admin-token`; without one, loopback needs none) reaches everything.
- A sandbox's own credential, sent as the provider expects it with `X-Mock-Provider: <provider>`,
  reaches that sandbox only: its journal, reset, scenario rules, deliveries, inbox messages, actions
  and its own writes. Calls that act on the whole mock (the clock, lifecycle modes, pausing delivery,
  importing state) answer 403 to it, so a shared instance needs no shared secret for per-job control.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mockserver.admin.common import AdminError, Forbidden, Unauthorized, check_provider, runtime_of
from mockserver.admin.contract import canonical
from mockserver.core.errors import MockError
from mockserver.core.pipeline import CALL, Call
from mockserver.core.pipeline.call import ADMIN_SCOPE, REPLAYED
from mockserver.core.runtime import Runtime, guessable
from mockserver.core.services.masking import tenant_label

PROVIDER_HEADER = "X-Mock-Provider"
TOKEN_HEADER = "X-Mock-Admin-Token"
OPEN = {("GET", "/__admin/health"), ("GET", "/__admin/ui")}  # the dashboard's shell holds no data
RECEIVER = "/__admin/inbox/{name}"
# what a sandbox's credential may call: each handler narrows what it does to that sandbox
SANDBOXED = {
    ("GET", "/__admin/requests"),
    ("GET", "/__admin/coverage"),
    ("POST", "/__admin/lifecycle"),
    ("POST", "/__admin/webhooks/pause"),
    ("POST", "/__admin/webhooks/resume"),
    ("POST", "/__admin/reset/controls"),
    ("POST", "/__admin/clocks"),
    ("GET", "/__admin/clocks"),
    ("GET", "/__admin/clocks/{clock_id}"),
    ("POST", "/__admin/clocks/{clock_id}"),
    ("DELETE", "/__admin/clocks/{clock_id}"),
    ("DELETE", "/__admin/coverage"),
    ("GET", "/__admin/events"),
    ("GET", "/__admin/stream"),
    ("GET", "/__admin/ui/panels"),
    ("GET", "/__admin/entities"),
    ("GET", "/__admin/files/{provider}/{file}"),
    ("POST", "/__admin/events"),
    ("POST", "/__admin/reset"),
    ("GET", "/__admin/state"),
    ("POST", "/__admin/verify"),
    ("GET", "/__admin/scenarios"),
    ("POST", "/__admin/scenarios"),
    ("DELETE", "/__admin/scenarios"),
    ("DELETE", "/__admin/scenarios/{rule_id}"),
    ("GET", "/__admin/webhooks"),
    ("POST", "/__admin/webhooks/{delivery_id}/replay"),
    ("GET", RECEIVER),
    ("DELETE", RECEIVER),
    ("POST", "/__admin/actions/{provider}/{action}"),
}


@dataclass(frozen=True)
class Scope:
    """What a control-plane call may touch: the whole mock, or one provider's one sandbox."""

    provider: str | None = None
    tenant: str | None = None

    @property
    def whole(self) -> bool:
        return self.provider is None

    def owns(self, provider: str | None, tenant: str | None) -> bool:
        return self.whole or (provider == self.provider and tenant == self.tenant)

    def narrow(self, provider: Any, tenant: Any) -> tuple[Any, Any]:
        """The filters a call may use: as asked for the whole mock; for a sandbox its own, and a 403
        when it names another."""
        if self.whole:
            return provider, tenant
        # its own sandbox may be named by the key that opens it, as the admin's filters may
        own = tenant in (None, self.tenant) or tenant_label(str(tenant)) == self.tenant
        if provider not in (None, self.provider) or not own:
            raise Forbidden(f"this credential reaches only its own sandbox ({self.provider} {self.tenant})")
        return self.provider, self.tenant


WHOLE = Scope()


def scope_of(request: web.Request) -> Scope:
    scope = request.get(ADMIN_SCOPE, WHOLE)
    assert isinstance(scope, Scope)
    return scope


def _admin_token(request: web.Request) -> str | None:
    given = request.headers.get(TOKEN_HEADER)
    if given is None and PROVIDER_HEADER not in request.headers:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        given = value.strip() if scheme.lower() == "bearer" else None
    return given


async def _sandbox(runtime: Runtime, request: web.Request, name: str) -> Scope:
    """The sandbox the provider's own credential on this request opens, checked as the provider does."""
    pr = runtime.providers.get(name)
    secured = [op for op in pr.spec.operations.values() if op.secured] if pr is not None else []
    if pr is None or pr.provider.auth is None or not secured:
        raise AdminError(
            f"{PROVIDER_HEADER}: unknown provider {name!r}; running: {', '.join(runtime.providers)}"
        )
    op = dataclasses.replace(min(secured, key=lambda o: len(o.scopes)), scopes=frozenset())
    call = Call(request=request, runtime=runtime, handler=None, prefix="", provider=pr, op=op)  # type: ignore[arg-type]
    request[CALL] = call
    try:
        principal = await pr.provider.auth.authenticate(request, op)
    except MockError as error:
        raise Unauthorized(f"{name}: {error.message}") from None
    finally:
        del request[CALL]
    return Scope(name, pr.sandbox_of(principal.tenant))


@web.middleware
async def access(request: web.Request, handler: Any) -> web.StreamResponse:
    runtime = runtime_of(request)
    if REPLAYED in request:  # from the write log: the sandbox it was limited to is recorded with it
        tenant = request[REPLAYED]
        request[ADMIN_SCOPE] = Scope(request.headers.get(PROVIDER_HEADER), tenant) if tenant else WHOLE
        replayed: web.StreamResponse = await handler(request)
        return replayed
    where = (request.method, canonical(request))
    if where in OPEN or (where[1] == RECEIVER and request.method not in ("GET", "DELETE")):
        response: web.StreamResponse = await handler(request)
        return response
    token = _admin_token(request)
    if runtime.admin_token is not None and token is not None:
        if not hmac.compare_digest(token.encode(), runtime.admin_token.encode()):
            raise Unauthorized("the admin token is not this mock's")
        if request.method not in ("GET", "HEAD") and guessable(runtime.admin_token):
            logging.getLogger("mockserver").warning(
                "%s %s with an admin token anyone could guess (from %s)",
                request.method,
                request.path,
                request.remote,
            )
    elif PROVIDER_HEADER in request.headers:
        request[ADMIN_SCOPE] = await _sandbox(runtime, request, request.headers[PROVIDER_HEADER])
        if where not in SANDBOXED:
            raise Forbidden(
                f"{where[0]} {where[1]} acts on the whole mock: it needs the admin token, "
                "not a sandbox's credential"
            )
    elif runtime.admin_token is not None:
        raise Unauthorized(
            f"the control plane needs the admin token ({TOKEN_HEADER}: <token>) or a sandbox's own "
            f"credential with {PROVIDER_HEADER}: <provider>"
        )
    response = await handler(request)
    return response


def sandbox_of(request: web.Request, provider: Any, tenant: Any) -> tuple[str | None, str | None]:
    """The (provider, sandbox) a control names: the credential's own for a sandbox's credential (a 403
    when it names another), the one a key or label names, or (provider or None, None) for all."""
    provider, tenant = scope_of(request).narrow(provider, tenant)
    if tenant is None:
        return provider, None
    if provider is None:
        raise AdminError("a tenant names a sandbox of one provider: give the provider too")
    runtime = runtime_of(request)
    check_provider(runtime, provider)
    return str(provider), runtime.providers[str(provider)].tenant_name(str(tenant))
