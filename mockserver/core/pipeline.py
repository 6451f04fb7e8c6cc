"""What every request carries through the pipeline: its `Call`, the keys apps and requests hold, and
the wrapper that makes a handler an endpoint. The middlewares themselves are in `middlewares`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.plugin import Handler, Principal
from mockserver.core.runtime import ProviderRuntime
from mockserver.core.specs import Operation

Next = Callable[[web.Request], Awaitable[web.StreamResponse]]
PROVIDER = web.AppKey("provider", ProviderRuntime)
PREFIX = web.AppKey("prefix", str)
# set on requests a replay sends (see persistence): the base URL the original client used, and the
# tenant a fixtures request stands for in place of credentials
REPLAY_BASE = web.RequestKey("replay_base", str)
REPLAY_TENANT = web.RequestKey("replay_tenant", str)


def endpoint(op: Operation, fn: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler for one operation; middlewares find the operation on it."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return await fn(call_of(request))

    setattr(handle, OPERATION_ATTR, op)
    return handle


OPERATION_ATTR = "mockserver_operation"


@dataclass
class Call:
    """What a handler needs about the request, already authenticated, parsed and validated."""

    request: web.Request
    op: Operation | None
    provider: ProviderRuntime
    principal: Principal | None = None
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    raw_body: bytes = b""
    extra_headers: dict[str, str] = field(default_factory=dict)
    correlation_id: str | None = None
    scenario: str | None = None  # the named scenario this request runs under (X-Mock-Scenario or a rule)
    injected: bool = False  # a scenario answered in the handler's place (strict checks skip it)
    replay_base: str | None = None  # set when the request comes from the write log
    replay_tenant: str = ""
    _trace_id: str = ""
    _base_url: str = ""

    @property
    def trace_id(self) -> str:
        """A fresh id per request, made on first use (envelopes that carry one, correlation ids)."""
        if not self._trace_id:
            self._trace_id = self.provider.runtime.ids.hex(32)
        return self._trace_id

    @property
    def replaying(self) -> bool:
        """Whether the request comes from the write log (a restart, an import, fixtures)."""
        return self.replay_base is not None

    @property
    def tenant(self) -> str:
        if self.principal is None:
            raise MockError(Kind.UNAUTHORIZED, "no credential")
        return self.principal.tenant

    @property
    def state(self) -> Any:
        return self.provider.state

    def base_url(self) -> str:
        """Scheme, host and mount as the client reached the mock (or --public-url)."""
        if not self._base_url:
            if self.replay_base:
                self._base_url = self.replay_base
            else:
                public = self.provider.runtime.settings.public_url
                origin = public.rstrip("/") if public else f"{self.request.scheme}://{self.request.host}"
                self._base_url = origin + self.request.app[PREFIX]
        return self._base_url

    def url(self, path: str) -> str:
        return self.base_url() + path


CALL = web.RequestKey("call", Call)


def call_of(request: web.Request) -> Call:
    return request[CALL]


ADMIN_PREFIX = "/__admin"


def passthrough(request: web.Request) -> bool:
    """The control plane rides inside host-routed provider apps; the provider's pipeline leaves it alone."""
    return CALL not in request


def operation_of(request: web.Request) -> Operation | None:
    try:
        handler = request.match_info.handler
    except Exception:  # aiohttp raises the routing error (404/405) here
        return None
    op = getattr(handler, OPERATION_ATTR, None)
    return op if isinstance(op, Operation) else None


# responses that broke the spec, in strict mode (tests fail on any)
VIOLATIONS = web.AppKey("violations", list)
