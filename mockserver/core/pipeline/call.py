"""What one request carries through the pipeline: the `Exchange` every request has, and the `Call` a
provider's request adds to it (its operation, its caller, its parsed parameters and body)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from mockserver.core import formats
from mockserver.core.errors import Kind, MockError
from mockserver.core.plugin import Principal
from mockserver.core.runtime import ProviderRuntime, Runtime
from mockserver.core.services import shards
from mockserver.core.services.masking import scrub_body
from mockserver.core.specs import Operation
from mockserver.core.validation import Violation

# request keys the control plane shares with the write log: the sandbox a control-plane call is limited
# to (set by `admin.access`, kept in the write as the tenant header), and, on a request replayed from
# the log, the tenant it names ("" for none)
ADMIN_SCOPE = web.RequestKey("admin_scope", object)
REPLAYED = web.RequestKey("replayed", str)
AiohttpHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_UNREAD: Any = object()


@dataclass(slots=True, kw_only=True)
class Exchange:
    """Any request the mock answers, the control plane's included: enough for the write log."""

    request: web.Request
    runtime: Runtime
    handler: AiohttpHandler  # aiohttp's own handler for the route (the control plane, a 404)
    prefix: str = ""  # the provider's mount ("/bsale"), or "" at a provider's own host or port
    principal: Principal | None = None
    replay_base: str | None = None  # set when the request comes from the write log
    replay_tenant: str = ""
    token: str = ""  # the write log's token for this request, and the mock time it arrived at
    at: float = 0.0
    committed: bool = False  # the write log already holds it (see pipeline.commit)
    _raw: Any = _UNREAD  # the body's bytes once read; None when it was too large to read

    @property
    def provider_name(self) -> str | None:
        return None

    @property
    def secret_rules(self) -> Any:
        return {}

    @property
    def replaying(self) -> bool:
        """Whether the request comes from the write log (a restart, an import, fixtures)."""
        return self.replay_base is not None

    async def read(self) -> bytes | None:
        """The body's bytes, read once; None when it is larger than the mock accepts."""
        if self._raw is _UNREAD:
            try:
                self._raw = await self.request.read()
            except web.HTTPRequestEntityTooLarge:
                self._raw = None
        raw: bytes | None = self._raw
        return raw

    @property
    def raw_body(self) -> bytes:
        return self._raw if isinstance(self._raw, bytes) else b""

    def kept_body(self) -> bytes:
        """The body as the write log keeps it: each secret field replaced by its stand-in."""
        return scrub_body(self.raw_body, self.request.content_type, self.secret_rules)

    def origin(self) -> str:
        return origin_of(self.runtime, self.request)


def origin_of(runtime: Runtime, request: web.Request) -> str:
    """Scheme and host as the client reached the mock (or --public-url); on a cluster's worker, with the
    shard prefix of the sandbox the balancer sent the request for, so every link made from it comes
    back to this worker (core.services.shards)."""
    public = runtime.settings.public_url
    origin = public.rstrip("/") if public else f"{request.scheme}://{request.host}"
    if runtime.settings.cluster:
        tag = request.headers.get(shards.HEADER)
        if tag and shards.VALID.fullmatch(tag):
            return f"{origin}{shards.PREFIX}{tag}"
    return origin


@dataclass(slots=True, kw_only=True)
class Call(Exchange):
    """What a handler needs about the request, already authenticated, parsed and validated."""

    provider: ProviderRuntime
    op: Operation | None
    # the path's parameters as routed, before validation
    params: Mapping[str, str] = field(default_factory=dict)
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    json: Any = _UNREAD  # the body as decoded JSON, when the operation takes JSON
    body_problems: list[Violation] = field(default_factory=list)
    decoded: bool = False  # the body was decoded as one of the operation's media types: validate it
    extra_headers: dict[str, str] = field(default_factory=dict)
    correlation_id: str | None = None
    scenario: str | None = None  # the named scenario this request runs under (X-Mock-Scenario or a rule)
    # the credential checked early: rate limits count by it, authentication reuses it
    verified: Principal | None = None
    injected: bool = False  # a scenario answered in the handler's place (strict checks skip it)
    error_code: str | None = None  # the provider's own code of the error it answered with, if any
    _kept: bytes | None = None
    _trace_id: str = ""
    _base_url: str = ""

    @property
    def provider_name(self) -> str | None:
        return self.provider.name

    @property
    def secret_rules(self) -> Any:
        return self.provider.secret_rules

    @property
    def trace_id(self) -> str:
        """A fresh id per request, made on first use (envelopes that carry one, correlation ids)."""
        if not self._trace_id:
            self._trace_id = self.runtime.ids.hex(32)
        return self._trace_id

    @property
    def tenant(self) -> str:
        if self.principal is None:
            raise MockError(Kind.UNAUTHORIZED, "no credential")
        return self.principal.tenant

    @property
    def state(self) -> Any:
        return self.provider.state

    def claimed_sandbox(self) -> str | None:
        """The sandbox the request's credential names, not yet verified (scenario rules match it, a
        test clock is read for it); a replayed request carries no credential, only the sandbox it
        opened."""
        if self.replaying:
            return self.replay_tenant or None
        auth = self.provider.provider.auth
        peeked = auth.peek_tenant(self.request) if auth else None
        return self.provider.sandbox_of(peeked) if peeked else None

    def kept_body(self) -> bytes:
        """As `Exchange.kept_body`, made once and from the JSON already decoded (idempotency's
        fingerprint and the write log both need it)."""
        if self._kept is None:
            parsed = self.json if self.json is not _UNREAD else None
            self._kept = scrub_body(
                self.raw_body, self.request.content_type, self.secret_rules, parsed=parsed
            )
        return self._kept

    async def json_for_match(self) -> Any:
        """The body as JSON for scenario rules that match on it; None when it is not JSON."""
        if self.json is not _UNREAD:
            return self.json
        raw = await self.read()
        try:
            return formats.loads(raw) if raw else None
        except ValueError:
            return None

    def base_url(self) -> str:
        """Scheme, host and mount as the client reached the mock (or --public-url)."""
        if not self._base_url:
            self._base_url = self.replay_base or self.origin() + self.prefix
        return self._base_url

    def url(self, path: str) -> str:
        return self.base_url() + path


# the rest of the chain, as each step sees it
Next = Callable[[Call], Awaitable[web.StreamResponse]]


class Step(Protocol):
    """`async def step(call, next)`: do its part, and (or instead) await the rest of the chain."""

    __name__: str

    def __call__(self, call: Call, /, next: Next) -> Awaitable[web.StreamResponse]: ...


CALL = web.RequestKey("call", Call)


@dataclass(frozen=True)
class Route:
    """One provider route's compiled chain: an operation's, or the provider's other paths (the specs it
    serves, a 404 or 405 in its envelope)."""

    provider: ProviderRuntime
    prefix: str
    op: Operation | None
    run: Next
    steps: tuple[str, ...]  # the names of the steps on its chain, outermost first
