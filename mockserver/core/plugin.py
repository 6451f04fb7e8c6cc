"""The contract every provider package meets; the platform does the rest."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from aiohttp import web

from mockserver.core.errors import MockError
from mockserver.core.services.masking import SecretRule
from mockserver.core.services.ratelimit import Bucket
from mockserver.paths import SPECS

if TYPE_CHECKING:
    from mockserver.core.services.webhooks import Attempt, Delivery
    from mockserver.core.specs import Operation

# A handler's `Call` (core.pipeline) and a provider's `ProviderRuntime` (core.runtime) are named here
# only loosely: both modules stand on this one, which must not reach back up to them. Each provider
# annotates its own handlers and hooks with the real types.
CallOf = Any
ProviderRuntimeOf = Any
Handler = Callable[[CallOf], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """JSON as these providers send it: UTF-8, accents as they are (not \\u-escaped), compact."""
    return json_body_response(json_bytes(data), status, headers)


def json_bytes(data: Any) -> bytes:
    """The bytes `json_response` answers `data` with."""
    body = fast_json_bytes(data)
    if body is None:  # an integer beyond 64 bits, echoed from a request: orjson does not write those
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return body


def fast_json_bytes(data: Any) -> bytes | None:
    """`json_bytes(data)` as orjson writes it; None where orjson cannot (an integer beyond 64 bits)."""
    try:
        written = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return None
    # orjson's bytes keep the buffer it wrote into (16 KB for a 2 KB answer): what the journal and
    # the render caches keep would cost eight times its size, so the answer is copied to its own size
    return bytes(memoryview(written))


def json_body_response(
    body: bytes, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """An answer of JSON already encoded (by `json_bytes`)."""
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


@dataclass(frozen=True)
class Unsupported:
    """An operation in the provider's spec that the mock does not implement, and why (answers 501)."""

    reason: str


def credential(authorization: str | None, scheme: str) -> str | None:
    """What follows `<scheme> ` in an Authorization header (scheme in any case), or None."""
    name, _, value = (authorization or "").strip().partition(" ")
    value = value.strip()
    return value if name.lower() == scheme and value else None


@dataclass(frozen=True)
class Principal:
    """Who is calling: `tenant` names the sandbox; `claims` whatever the credential carried."""

    tenant: str
    scopes: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Option:
    """A provider setting, exposed as `--<provider>-<name>` and `MOCKSERVER_<PROVIDER>_<NAME>`."""

    name: str
    type: type
    default: Any
    help: str
    choices: Sequence[Any] | None = None


@dataclass(frozen=True)
class Listing:
    """What is known of a provider without loading its package (`core/listings.py`):
    enough to parse its options, route to it and check a Host names it."""

    name: str
    title: str
    mount: str
    hosts: tuple[str, ...]
    options: Sequence[Option] = ()

    def declared(self) -> dict[str, Any]:
        """The `Provider` fields it gives: its package declares the rest."""
        return {
            "name": self.name,
            "title": self.title,
            "mount": self.mount,
            "hosts": self.hosts,
            "options": self.options,
        }


class Authenticator(Protocol):
    async def authenticate(self, request: web.Request, op: Operation) -> Principal: ...

    def peek_tenant(self, request: web.Request) -> str | None:
        """The caller's sandbox without verifying anything: rate limits key on it."""
        ...


class ErrorRenderer(Protocol):
    def render(self, error: MockError, call: CallOf) -> web.Response: ...


@dataclass(frozen=True)
class Limits:
    """The buckets one request must have room in (`guard`) and is counted in now (`charge`)."""

    key: str
    guard: Sequence[Bucket]
    charge: Sequence[Bucket]
    headers: bool = True  # whether responses show the provider's rate-limit headers
    shown: Bucket | None = None  # with nothing guarded: a bucket to report without counting (exempt calls)


class RateLimitPolicy(Protocol):
    # whether any answer carries the provider's rate-limit headers: with limits off and none shown, the
    # chain has nothing to do for the limits and leaves the step out
    shows_headers: bool

    def before(self, request: web.Request, op: Operation | None, tenant: str | None) -> Limits | None: ...

    def after(self, request: web.Request, op: Operation | None, status: int) -> Sequence[Bucket]:
        """Buckets counted once the outcome is known (Hacienda counts 401s apart from 2xx)."""
        ...

    def headers(self, usage_limit: int, remaining: int, reset: float) -> dict[str, str]: ...


# the most of each kind of entity a provider lists for the dashboard (the newest)
LATEST = 50


def admin_file(provider: str, sandbox: str, ident: str, extension: str) -> str:
    """The dashboard's link to a file its provider serves only with a credential (see `entity_file`)."""
    from urllib.parse import quote

    return f"/__admin/files/{provider}/{quote(ident, safe='')}.{extension}?tenant={quote(sandbox, safe='')}"


@dataclass(frozen=True)
class Trigger:
    """An event asked for by `POST /__admin/events`: of `type` (one of the spec's `webhooks`), in
    `sandbox`, about the existing entity `entity` names or (None) a made-up one, sent where the provider
    would send it and also to `url` when one is given. `base_url` is the provider's, as the caller
    reached the mock (for the links of a made-up entity)."""

    sandbox: str
    type: str
    entity: str | None = None
    url: str | None = None
    base_url: str = ""


@dataclass
class Provider:
    """A provider package's declaration: where it mounts, its spec, handlers, and its edge behaviour."""

    name: str
    title: str
    mount: str
    hosts: tuple[str, ...]
    operations: Mapping[str, Handler | Unsupported]
    errors: ErrorRenderer
    make_state: Callable[[ProviderRuntimeOf], Any]
    auth: Authenticator | None = None
    # the sandbox is opened by an API key or token: it is named by masking.tenant_label, not the key
    tenant_is_credential: bool = False
    # for a sandbox not named by its key: the credential a balancer reads for it (the spec's
    # `x-mock-shard`), from the sandbox's name; None: the name itself (see core.services.shards)
    shard_key: Callable[[str], str] | None = None
    # secret body fields (and a Basic client secret) → the stand-in the write log keeps instead; a
    # function of the mock's secret salt (Runtime.secret_salt) when a stand-in is a digest
    secret_fields: Mapping[str, SecretRule] | Callable[[bytes], Mapping[str, SecretRule]] = field(
        default_factory=dict
    )
    rate_limits: RateLimitPolicy | None = None
    options: Sequence[Option] = ()
    webhook_signer: Callable[[ProviderRuntimeOf, Delivery, float], dict[str, str]] | None = None
    webhook_observer: Callable[[ProviderRuntimeOf, Delivery, Attempt], None] | None = None
    spec_file: Path | None = None
    # echoed on every response (one is made up when the client sent none) and written to the log
    correlation_header: str | None = None
    # named scenarios beyond the common ones (X-Mock-Scenario); an entry without an action only marks the call
    scenarios: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    # further paths the provider's own docs promise its OpenAPI document at (YAML)
    spec_aliases: tuple[str, ...] = ()
    # sends a triggered event of any type the spec's `webhooks` lists, built and signed as a real one is,
    # and answers its deliveries; raises LookupError for an entity the sandbox lacks, ValueError when
    # nothing would receive it
    trigger_event: Callable[[ProviderRuntimeOf, Trigger], list[Delivery]] | None = None
    # its entities for the dashboard, newest first, at most LATEST of a kind: (runtime, sandbox or None
    # for all, the provider's base URL) → [{tenant, kind, id, state, label?, links?: {pdf?, xml?}}]
    entities: Callable[[ProviderRuntimeOf, str | None, str], list[dict[str, Any]]] | None = None
    # a file of an entity that its provider serves only with a credential, for the dashboard's links
    # (`/__admin/files/<provider>/<id>.<pdf|xml>?tenant=`): (runtime, sandbox, id, extension) →
    # (content type, bytes), or None when the sandbox has no such file
    entity_file: Callable[[ProviderRuntimeOf, str, str, str], tuple[str, bytes] | None] | None = None
    # mock-only actions under POST /__admin/actions/<provider>/<name>: (runtime, JSON body) → JSON answer
    admin_actions: Mapping[str, Callable[[ProviderRuntimeOf, dict[str, Any]], dict[str, Any]]] = field(
        default_factory=dict
    )

    @property
    def listing(self) -> Listing:
        return Listing(self.name, self.title, self.mount, self.hosts, tuple(self.options))

    @property
    def spec_path(self) -> Path:
        return self.spec_file or SPECS / self.name / "openapi.yaml"
