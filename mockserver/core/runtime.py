"""The running mock: one clock, one scheduler, one journal, and a runtime per provider."""

from __future__ import annotations

import functools
import importlib
import ipaddress
import itertools
import logging
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from aiohttp import web

from mockserver.core import feed
from mockserver.core.listings import LISTINGS, PROVIDERS
from mockserver.core.plugin import Listing, Provider, Unsupported
from mockserver.core.services import callbacks, shards
from mockserver.core.services.clock import Clock
from mockserver.core.services.coverage import Coverage
from mockserver.core.services.idempotency import IdempotencyStore
from mockserver.core.services.ids import Ids
from mockserver.core.services.inboxes import Inboxes
from mockserver.core.services.journal import Journal
from mockserver.core.services.keys import SigningKey, load_signing_key
from mockserver.core.services.lifecycle import Lifecycles, Mode
from mockserver.core.services.masking import SecretRule, credential_label, tenant_label
from mockserver.core.services.ratelimit import RateLimiter
from mockserver.core.services.scenarios import Scenarios
from mockserver.core.services.scheduler import Scheduler
from mockserver.core.services.store import Store
from mockserver.core.services.stream import Stream
from mockserver.core.services.testclocks import SandboxClocks
from mockserver.core.services.webhooks import Delivery, WebhookDispatcher
from mockserver.core.specs import Spec, load_spec
from mockserver.settings import Settings


class SpecMismatch(Exception):
    """A provider's handlers and its spec disagree: start-up stops here."""


class Snapshotting(Protocol):
    """What the request path and a restore ask of the snapshots (`core/snapshots.py`, which stands on
    this module: `app.create_app` makes them for a runtime with a state file)."""

    def load(self) -> int: ...
    async def admit(self) -> None: ...
    def done(self) -> None: ...
    async def run_when_idle(self) -> None: ...
    def close(self) -> None: ...


def load_provider(name: str) -> Provider:
    if name not in PROVIDERS:
        raise ValueError(f"unknown provider {name!r}; known: {', '.join(PROVIDERS)}")
    provider: Provider = importlib.import_module(PROVIDERS[name]).PROVIDER
    return provider


def listing_of(name: str) -> Listing:
    """A provider's name, mount, hosts and options without loading its package (one the listings do
    not have, a test's own, is loaded)."""
    listing = LISTINGS.get(name)
    return listing if listing is not None else load_provider(name).listing


class Providers(Mapping[str, "ProviderRuntime"]):
    """The running providers, each built (its package imported, its spec read, its state made) the first
    time something asks for it, so start-up and an idle mock pay only for what is used. Their names,
    listings and membership are known without building any."""

    def __init__(self, names: tuple[str, ...], build: Callable[[str], ProviderRuntime]) -> None:
        self.listings = {name: listing_of(name) for name in names}
        self._build = build
        self._built: dict[str, ProviderRuntime] = {}

    def __getitem__(self, name: str) -> ProviderRuntime:
        pr = self._built.get(name)
        if pr is None:
            if name not in self.listings:
                raise KeyError(name)
            pr = self._built[name] = self._build(name)
        return pr

    def __contains__(self, name: object) -> bool:
        return name in self.listings

    def __iter__(self) -> Iterator[str]:
        return iter(self.listings)

    def __len__(self) -> int:
        return len(self.listings)

    def hosts(self) -> list[str]:
        """Every real host of the running providers, built or not."""
        return [host for listing in self.listings.values() for host in listing.hosts]

    def built(self) -> list[ProviderRuntime]:
        """Those built so far."""
        return list(self._built.values())


def check_coverage(provider: Provider, spec: Spec) -> None:
    """Every operationId has a handler or an `Unsupported` reason, no handler lacks an operation, and
    the events the spec documents can be triggered."""
    missing = sorted(set(spec.operations) - set(provider.operations))
    orphans = sorted(set(provider.operations) - set(spec.operations))
    empty = sorted(k for k, v in provider.operations.items() if isinstance(v, Unsupported) and not v.reason)
    problems = []
    if missing:
        problems.append(f"operations without a handler or an Unsupported reason: {', '.join(missing)}")
    if orphans:
        problems.append(f"handlers for operations not in the spec: {', '.join(orphans)}")
    if empty:
        problems.append(f"Unsupported entries without a reason: {', '.join(empty)}")
    if spec.webhooks and provider.trigger_event is None:
        problems.append("the spec documents webhooks and nothing triggers them (trigger_event)")
    if problems:
        raise SpecMismatch(f"{provider.name} ({spec.path}): " + "; ".join(problems))


def _provider_runtime(runtime: Runtime, name: str) -> ProviderRuntime:
    settings = runtime.settings
    provider = load_provider(name)
    spec = load_spec(provider.spec_path)
    check_coverage(provider, spec)
    options = {
        o.name: settings.provider_options.get(name, {}).get(o.name, o.default) for o in provider.options
    }
    scale = settings.rate_limits.get(name, settings.rate_limits.get("*", 1.0))
    pr = ProviderRuntime(provider, spec, runtime, RateLimiter(runtime.clock, scale), options)
    pr.state = provider.make_state(pr)
    if provider.webhook_signer:
        runtime.webhooks.signers[name] = functools.partial(provider.webhook_signer, pr)
    runtime.scenarios.catalogues[name] = dict(provider.scenarios)
    if provider.webhook_observer:
        runtime.webhooks.observers[name] = functools.partial(provider.webhook_observer, pr)
    return pr


@dataclass
class ProviderRuntime:
    provider: Provider
    spec: Spec
    runtime: Runtime
    limiter: RateLimiter
    options: dict[str, Any]
    state: Any = None
    _salted: tuple[bytes, Mapping[str, SecretRule]] | None = None

    @property
    def name(self) -> str:
        return self.provider.name

    @property
    def secret_rules(self) -> Mapping[str, SecretRule]:
        fields = self.provider.secret_fields
        if not callable(fields):
            return fields
        salt = self.runtime.secret_salt()
        if self._salted is None or self._salted[0] != salt:  # made again after an import changes the salt
            self._salted = (salt, fields(salt))
        return self._salted[1]

    def tenant_name(self, tenant: str) -> str:
        """The sandbox named by a control-plane filter or a fixture: a key, or the label it opens."""
        return tenant_label(tenant) if self.provider.tenant_is_credential else tenant

    def sandbox_of(self, credential: str) -> str:
        """The sandbox a presented credential opens: for key-named sandboxes always the digest of what
        was presented, so a label (shown in logs and the journal) never opens the sandbox it names."""
        return credential_label(credential) if self.provider.tenant_is_credential else credential

    def shard_tag(self, sandbox: str) -> str | None:
        """The tag a cluster's balancer routes this sandbox's requests by (core.services.shards)."""
        if self.provider.tenant_is_credential:
            return shards.of_label(sandbox)
        key = self.provider.shard_key(sandbox) if self.provider.shard_key else sandbox
        return shards.tag(key)

    def reset(self, tenant: str | None = None) -> None:
        tenant = self.tenant_name(tenant) if tenant else None
        reset = getattr(self.state, "reset", None)
        if tenant is not None and reset is not None:
            reset(tenant)
        else:
            self.state = self.provider.make_state(self)
        self.runtime.lifecycles.forget(self.name, tenant)
        self.runtime.idempotency.clear(self.name, tenant)
        if tenant is None:
            self.limiter.reset()


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    ids: Ids
    scheduler: Scheduler
    lifecycles: Lifecycles
    webhooks: WebhookDispatcher
    journal: Journal
    idempotency: IdempotencyStore
    keys: SigningKey
    scenarios: Scenarios
    store: Store
    coverage: Coverage = field(default_factory=Coverage)
    stream: Stream = field(default_factory=Stream)
    testclocks: SandboxClocks = field(default_factory=lambda: SandboxClocks(Clock()))
    boot: int = 0  # starts so far with this store: request tokens never repeat across restarts
    replay_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    admin_token: str | None = None  # None: the control plane is open (loopback, or --admin-token off)
    snapshots: Snapshotting | None = None  # with a state file: restarts replay only what came after one
    _salt: bytes | None = None
    _requests: itertools.count[int] = field(default_factory=itertools.count)
    inboxes: Inboxes = field(default_factory=Inboxes)
    providers: Providers = field(default_factory=lambda: Providers((), _no_provider))
    violations: list[str] = field(default_factory=list)  # answers that broke the spec (--strict)
    # makes an app serving this runtime: a replay runs the write log through one (set by create_app)
    app_factory: Callable[[Runtime], web.Application] | None = None

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        clock = clock or Clock(settings.clock_start, frozen=settings.clock_frozen)
        ids = Ids(settings.seed)
        scheduler = Scheduler(clock)
        runtime = cls(
            settings=settings,
            clock=clock,
            ids=ids,
            scheduler=scheduler,
            lifecycles=Lifecycles(scheduler, Mode(settings.lifecycle)),
            webhooks=WebhookDispatcher(clock, scheduler, ids),
            journal=Journal(settings.journal_size),
            idempotency=IdempotencyStore(),
            keys=load_signing_key(settings.signing_key, clock.now())
            if settings.signing_key is not None
            else SigningKey(None, clock.now()),
            scenarios=Scenarios(ids),
            store=Store(settings.state_file),
        )
        if settings.signing_key is None:  # the mock's own key: the one it made before, or one made now
            kept = runtime.store.meta("signing_key")
            runtime.keys = SigningKey(
                kept.encode() if kept else None,
                clock.now(),
                keep=lambda pem: runtime.store.set_meta("signing_key", pem.decode()),
            )
        if settings.signing_key is not None:
            runtime.keys.private_key  # noqa: B018 (a key of the user's own is parsed now: a bad one stops the start)
        runtime.admin_token = admin_token(settings)
        runtime.webhooks.guard = callbacks.guard(settings.callback_allowlist)
        runtime.webhooks.recorder = runtime.record_delivery
        if settings.cluster:  # a worker: its deliveries to the demo inbox go back to this worker
            runtime.webhooks.shard = runtime.shard_of_delivery
        runtime.webhooks.concluded = lambda d, outcome: runtime.coverage.delivered(
            d.provider, d.tenant, d.event, outcome
        )
        runtime.lifecycles.ended = runtime.coverage.ended
        feed.connect(runtime.stream, clock, runtime.journal, runtime.lifecycles, runtime.webhooks)
        runtime.testclocks = SandboxClocks(clock)
        scheduler.clock_of = lambda ident: runtime.testclocks.clocks.get(ident)
        # each timer draws its ids from its own stream, named by its work: a replay repeats them
        scheduler.job_context = lambda job: ids.stream(f"job:{job.when!r}:{job.key or job.seq}")
        runtime.providers = Providers(settings.providers, functools.partial(_provider_runtime, runtime))
        for name, given in settings.provider_options.items():  # a mistyped option stops the start
            if name not in PROVIDERS:
                raise ValueError(f"options for an unknown provider {name!r}; known: {', '.join(PROVIDERS)}")
            if name not in runtime.providers:
                continue  # not running (the command line gives every provider's defaults)
            known = {o.name for o in runtime.providers.listings[name].options}
            unknown = sorted(set(given) - known)
            if unknown:
                has = ", ".join(sorted(known)) or "none"
                raise ValueError(f"{name} has no option {', '.join(unknown)}; its options: {has}")
        runtime.scenarios.load = runtime.providers.get  # a provider's own scenarios come with it
        return runtime

    def secret_salt(self) -> bytes:
        """The mock's own salt for digests of client secrets in the write log: made on first use, kept in
        the store (and carried by an export, so an import checks the same secrets)."""
        if self._salt is None:
            kept = self.store.meta("secret_salt")
            if kept is None:
                kept = secrets.token_hex(16)
                self.store.set_meta("secret_salt", kept)
            self._salt = bytes.fromhex(kept)
        return self._salt

    def set_secret_salt(self, salt: str) -> None:
        self.store.set_meta("secret_salt", salt)
        self._salt = bytes.fromhex(salt)

    def record_delivery(self, delivery: Delivery) -> None:
        """A delivery's outcome into the store; a store that cannot take it (a full disk) costs a restart
        at most a repeated attempt, so it is logged, not raised into the delivery."""
        try:
            self.store.record_delivery(delivery.id, delivery.state, [asdict(a) for a in delivery.attempts])
        except (sqlite3.Error, OSError) as error:
            logging.getLogger("mockserver.persistence").error("delivery %s not kept: %s", delivery.id, error)

    def shard_of_delivery(self, delivery: Delivery) -> str | None:
        pr = self.providers.get(delivery.provider)
        return pr.shard_tag(delivery.tenant) if pr is not None and delivery.tenant else None

    def next_token(self) -> str:
        return f"{self.boot}.{next(self._requests)}"

    def reset_controls(self, provider: str | None = None, tenant: str | None = None) -> None:
        """Scenario rules, lifecycle modes and paused deliveries back to none; one sandbox's own only
        when `tenant` names it, with the test clocks its credential made (the inboxes, which sandboxes
        share, are emptied only for the whole mock, with every test clock)."""
        self.scenarios.remove(provider=provider, tenant=tenant)
        self.lifecycles.clear_modes(provider, tenant)
        if tenant is None:
            self.webhooks.resume()
            self.inboxes.clear()
            for ident in list(self.testclocks.clocks):
                self.delete_clock(ident)
        elif provider is not None:
            self.webhooks.resume(provider, tenant)
            for ident, made in list(self.testclocks.clocks.items()):
                if made.owner == (provider, tenant):  # the clocks that sandbox's credential made
                    self.delete_clock(ident)

    def delete_clock(self, ident: str) -> None:
        """A test clock goes: its sandboxes, and their work still to come, follow the mock's clock."""
        self.scheduler.release(self.testclocks.delete(ident))

    def reset_everything(self, provider: str | None = None, tenant: str | None = None) -> None:
        """State and controls: of the whole mock, or of one sandbox."""
        self.reset(provider, tenant)
        self.reset_controls(provider, tenant)

    def reset(self, provider: str | None = None, tenant: str | None = None) -> None:
        for pr in self.providers.values():
            if provider is None or pr.name == provider:
                pr.reset(tenant)
        self.journal.clear(provider, tenant)
        if tenant is None:
            self.scenarios.remove(provider=provider)
        self.webhooks.clear(provider, tenant)


# tokens a repository, a tutorial or a first guess would use; any token this short is guessed as soon
WELL_KNOWN_TOKENS = frozenset(
    {"change-me", "changeme", "admin", "secret", "token", "password", "test", "mockserver"}
)
SHORTEST_TOKEN = 16


def guessable(token: str) -> bool:
    return token.lower() in WELL_KNOWN_TOKENS or len(token) < SHORTEST_TOKEN


def admin_token(settings: Settings) -> str | None:
    """The token the control plane asks for: the one given, none with `off`, none when only loopback
    can reach the mock, and otherwise one made now (the banner shows it)."""
    if settings.admin_token == "off":
        return None
    if settings.admin_token:
        return settings.admin_token
    try:
        loopback = ipaddress.ip_address(settings.host).is_loopback
    except ValueError:
        loopback = settings.host == "localhost"
    return None if loopback else secrets.token_urlsafe(24)


def _no_provider(name: str) -> ProviderRuntime:
    raise KeyError(name)


# every app serving this runtime (the main one, a provider alone on its port, the control plane) holds it
RUNTIME = web.AppKey("runtime", Runtime)
