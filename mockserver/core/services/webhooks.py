"""Webhook delivery: state emits events, this signs, sends, retries on the clock and logs attempts."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp

from mockserver.core.services import shards
from mockserver.core.services.callbacks import DEMO_RECEIVER, GuardedResolver
from mockserver.core.services.clock import Clock
from mockserver.core.services.coverage import DELIVERED, FAILED, RETRIED
from mockserver.core.services.ids import Ids
from mockserver.core.services.lifecycle import MAX_SANDBOX_CONTROLS
from mockserver.core.services.masking import names_sandbox
from mockserver.core.services.scheduler import Scheduler

log = logging.getLogger("mockserver.webhooks")

DELIVERY_HEADER = "X-Mock-Delivery"  # on deliveries to the demo inbox only: which delivery this is
Signer = Callable[["Delivery", float], dict[str, str]]
Observer = Callable[["Delivery", "Attempt"], None]


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt `max_attempts` times, waiting base·factor^n (capped) between tries, on the mock clock."""

    max_attempts: int = 6
    base: float = 10.0
    factor: float = 2.0
    max_delay: float = 3600.0
    timeout: float = 10.0
    give_up_after: float | None = None  # seconds after the event; None: only max_attempts counts

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base * self.factor ** (attempt - 1)))


@dataclass
class Attempt:
    number: int
    at: float
    status: int | None
    error: str | None
    duration_ms: float


@dataclass
class Delivery:
    id: str
    provider: str
    tenant: str
    event: str
    url: str
    body: bytes
    headers: dict[str, str]
    created_at: float
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    state: str = "pending"  # pending → delivered | failed; refused at once; cancelled by a reset
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: float | None = None
    sent_headers: dict[str, str] = field(default_factory=dict)  # the last attempt's, signature included

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "tenant": self.tenant,
            "event": self.event,
            "url": self.url,
            "state": self.state,
            "created_at": self.created_at,
            "next_attempt_at": self.next_attempt_at,
            "attempts": [asdict(a) for a in self.attempts],
            "body": self.body.decode("utf-8", "replace"),
        }


class WebhookDispatcher:
    """At-least-once delivery; a 2xx answer delivers, anything else is retried until the policy gives up."""

    def __init__(self, clock: Clock, scheduler: Scheduler, ids: Ids, log_size: int = 1000) -> None:
        self.clock = clock
        self.scheduler = scheduler
        self.ids = ids
        self.signers: dict[str, Signer] = {}
        # told of every attempt (Tu Pana keeps success_rate and last_status_code on its webhooks)
        self.observers: dict[str, Observer] = {}
        self.deliveries: OrderedDict[str, Delivery] = OrderedDict()
        self._log_size = log_size
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.paused = False
        self.paused_sandboxes: set[tuple[str, str]] = set()  # (provider, sandbox): held for those only
        self.muted = False  # during a replay: deliveries are planned, never sent (see persistence)
        self.recorder: Callable[[Delivery], None] = lambda delivery: None
        # a cluster's worker: the shard tag of the sandbox a delivery is from (see core.services.shards)
        self.shard: Callable[[Delivery], str | None] | None = None
        # told of what each delivery came to (provider, tenant, event, outcome): the coverage report's
        self.concluded: Callable[[Delivery, str], None] = lambda delivery, outcome: None
        # told of each attempt with the headers it sent (the event stream's)
        self.attempted: Callable[[Delivery, Attempt, dict[str, str]], None] = lambda d, attempt, headers: None
        self._held: list[Delivery] = []
        # decides whether a URL may be called (link-local and cloud metadata addresses are refused by default)
        self.guard: Callable[[str], str | None] = lambda url: None

    async def start(self) -> None:
        # a pool per receiver: one that never answers holds its own connections, not everyone's
        connector = aiohttp.TCPConnector(resolver=GuardedResolver(), limit=0, limit_per_host=8)
        self._session = aiohttp.ClientSession(connector=connector)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session:
            await self._session.close()

    def send(
        self,
        *,
        provider: str,
        tenant: str,
        event: str,
        url: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        policy: RetryPolicy | None = None,
    ) -> Delivery:
        delivery = Delivery(
            id=self.ids.uuid(),
            provider=provider,
            tenant=tenant,
            event=event,
            url=url,
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
            created_at=self.clock.now(),
            policy=policy or RetryPolicy(),
        )
        self.deliveries[delivery.id] = delivery
        while len(self.deliveries) > self._log_size:  # the log forgets; a pending delivery still goes
            self.deliveries.popitem(last=False)
        refusal = self.guard(url)
        if refusal:
            delivery.state = "refused"
            delivery.attempts.append(Attempt(0, delivery.created_at, None, refusal, 0.0))
            return delivery
        self.plan(delivery, self.clock.now())
        return delivery

    def replay(self, delivery_id: str) -> Delivery | None:
        """Send a logged delivery's event again, as a new delivery with its own attempts."""
        original = self.deliveries.get(delivery_id)
        if original is None:
            return None
        return self.send(
            provider=original.provider,
            tenant=original.tenant,
            event=original.event,
            url=original.url,
            body=original.body,
            headers=dict(original.headers),
            policy=original.policy,
        )

    def saved(self) -> dict[str, Any]:
        """What a snapshot keeps (see `core.snapshot`): the log and the pause; attempts still to make
        are planned again from the store's outcomes (`persistence.settle_deliveries`)."""
        return {"deliveries": self.deliveries, "paused": self.paused, "sandboxes": self.paused_sandboxes}

    def put_back(self, saved: dict[str, Any]) -> None:
        self.deliveries, self.paused = saved["deliveries"], saved["paused"]
        self.paused_sandboxes = saved["sandboxes"]

    def pause(self, provider: str | None = None, tenant: str | None = None) -> None:
        """Hold every delivery from now on, or one sandbox's (`provider` and `tenant` both given)."""
        if provider is not None and tenant is not None:
            if len(self.paused_sandboxes) >= MAX_SANDBOX_CONTROLS:
                raise ValueError(f"{MAX_SANDBOX_CONTROLS} sandboxes are paused already: resume some first")
            self.paused_sandboxes.add((provider, tenant))
        else:
            self.paused = True

    def resume(self, provider: str | None = None, tenant: str | None = None) -> int:
        """Send what was held: everything, or one sandbox's; answers how many were released."""
        if provider is not None and tenant is not None:
            self.paused_sandboxes.discard((provider, tenant))
        else:
            self.paused = False
            self.paused_sandboxes.clear()
        held, self._held, released = self._held, [], 0
        for delivery in held:  # each is judged once: sent now, or held still
            if self._holds(delivery):
                self._held.append(delivery)
            else:
                self.plan(delivery, self.clock.now())
                released += 1
        return released

    def _holds(self, delivery: Delivery) -> bool:
        return self.paused or (delivery.provider, delivery.tenant) in self.paused_sandboxes

    def list(self, provider: str | None = None, tenant: str | None = None) -> list[Delivery]:
        return [
            d
            for d in reversed(self.deliveries.values())
            if (provider is None or d.provider == provider) and names_sandbox(tenant, d.tenant)
        ]

    def clear(self, provider: str | None = None, tenant: str | None = None) -> None:
        for d in self.list(provider, tenant):
            d.state = "cancelled"  # a reset takes its pending deliveries with it
            del self.deliveries[d.id]

    async def settle(self) -> None:
        """Wait for attempts already under way (tests and admin calls use it)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def plan(self, delivery: Delivery, when: float) -> None:
        delivery.next_attempt_at = when
        key = f"webhook/{delivery.id}/{len(delivery.attempts)}"
        self.scheduler.at(when, functools.partial(self._launch, delivery), key, kept=False)

    def _launch(self, delivery: Delivery) -> None:
        if delivery.state != "pending" or self.muted:
            return
        if self._holds(delivery):
            self._held.append(delivery)  # sent when delivery resumes
            return
        task = asyncio.get_running_loop().create_task(self._attempt(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _attempt(self, delivery: Delivery) -> None:
        assert self._session is not None, "dispatcher not started"
        number = len(delivery.attempts) + 1
        started = self.clock.now()
        loop = asyncio.get_running_loop()
        real_start = loop.time()
        headers = dict(delivery.headers)
        if DEMO_RECEIVER in delivery.url:  # the demo inbox files it under the sandbox that sent it
            headers[DELIVERY_HEADER] = delivery.id
            tag = self.shard(delivery) if self.shard is not None else None
            if tag:  # through a cluster's balancer, to this worker: it holds the delivery's record
                headers[shards.HEADER] = tag
        signer = self.signers.get(delivery.provider)
        if signer:
            headers.update(signer(delivery, started))
        status: int | None = None
        error: str | None = None
        try:
            timeout = aiohttp.ClientTimeout(total=delivery.policy.timeout)
            async with self._session.post(
                delivery.url, data=delivery.body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                status = response.status
                await response.read()
        except TimeoutError:
            error = f"no answer within {delivery.policy.timeout:g} s"
        except (aiohttp.ClientError, ValueError, OSError) as exc:  # ValueError: a URL yarl cannot take
            error = f"{type(exc).__name__}: {exc}"
        attempt = Attempt(number, started, status, error, (loop.time() - real_start) * 1000)
        delivery.attempts.append(attempt)
        delivery.sent_headers = headers
        self.attempted(delivery, attempt, headers)
        observer = self.observers.get(delivery.provider)
        if observer:
            observer(delivery, attempt)
        if status is not None and 200 <= status < 300:
            delivery.state, delivery.next_attempt_at = "delivered", None
            self.concluded(delivery, DELIVERED if number == 1 else RETRIED)
            self.recorder(delivery)
            return
        next_at = self.clock.now() + delivery.policy.delay(number)
        window = delivery.policy.give_up_after
        if number >= delivery.policy.max_attempts or (
            window is not None and next_at > delivery.created_at + window
        ):
            delivery.state, delivery.next_attempt_at = "failed", None
            log.info("webhook %s to %s given up after %d attempts", delivery.event, delivery.url, number)
            self.concluded(delivery, FAILED)
            self.recorder(delivery)
            return
        self.plan(delivery, next_at)
        self.recorder(delivery)
