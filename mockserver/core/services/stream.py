"""The event stream: what the mock does, as events, for `GET /__admin/stream`, the dashboard and
`mockserver forward`.

Four kinds: `request` (a provider request and its answer, from the journal), `state` (an entity entering
a lifecycle state), `webhook` (a delivery attempt, with the headers and body sent) and `clock` (the
mock's clock or a test clock moved). Events are kept in a ring of the last `size`, so a reader that
reconnects with the id of the last one it saw gets every event after it that the ring still holds.
The newest `FULL` events that carry bodies (requests, webhook attempts) keep them; an older one keeps
its summary only, so the ring's memory is bounded by what it counts, not by what clients send.
Publishing is an append and a put per subscriber: with nobody subscribed a request pays one small
object. An event id is `<boot>.<n>`: an id from another process (before a restart) is not this one's, so
such a reader is given the whole ring, and tells repeats apart by the ids inside the events (a
delivery's id is the same in every process).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mockserver.core.services.shares import Shares

KINDS = ("request", "state", "webhook", "clock")
QUEUE_LIMIT = 10_000  # events a slow subscriber may fall behind by before it is dropped
# sandboxes' readers at once: every event is offered to each, so their number is bounded, for one
# sandbox too
MAX_READERS = 200
MAX_READERS_PER_SANDBOX = 10
FULL = 1_000  # events with bodies the ring keeps whole (as many as the journal's entries, by default)


class TooManyReaders(Exception):
    pass


@dataclass(slots=True)
class Event:
    seq: int
    kind: str
    provider: str | None
    tenant: str | None
    at: float
    # the event's fields, or what makes them when a reader first asks (a journal entry's view)
    payload: dict[str, Any] | Callable[[], dict[str, Any]]
    # what it keeps once it is no longer FULL: the fields, or what makes them when a reader asks
    summary: Callable[[], dict[str, Any] | Callable[[], dict[str, Any]]] | None = None

    def data(self) -> dict[str, Any]:
        if callable(self.payload):
            self.payload = self.payload()
        return self.payload

    def trim(self) -> None:
        if self.summary is not None:
            self.payload, self.summary = self.summary(), None


@dataclass(eq=False)  # each one is itself (a set keeps them)
class Subscriber:
    wants: Callable[[Event], bool]
    sandbox: tuple[str | None, str | None] = (None, None)
    since: int = 0  # the order readers subscribed in
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    dropped: bool = False


class Stream:
    def __init__(self, size: int = 10_000) -> None:
        self.boot = secrets.token_hex(4)
        self._ring: deque[Event] = deque(maxlen=size)
        self._full: deque[Event] = deque()  # the newest events with a summary, kept whole
        self._seq = 0
        self._subscribers: set[Subscriber] = set()
        self._shares: Shares[tuple[str | None, str | None]] = Shares()  # sandboxes' readers
        self._made = itertools.count()

    def publish(
        self,
        kind: str,
        provider: str | None,
        tenant: str | None,
        at: float,
        payload: dict[str, Any] | Callable[[], dict[str, Any]],
        summary: Callable[[], dict[str, Any] | Callable[[], dict[str, Any]]] | None = None,
    ) -> None:
        """`summary`: what the event keeps once FULL newer ones with bodies follow it."""
        self._seq += 1
        event = Event(self._seq, kind, provider, tenant, at, payload, summary)
        self._ring.append(event)
        if summary is not None:
            self._full.append(event)
            if len(self._full) > FULL:
                self._full.popleft().trim()
        for subscriber in self._subscribers:
            if subscriber.dropped or not subscriber.wants(event):
                continue
            try:
                subscriber.queue.put_nowait(event)
            except asyncio.QueueFull:  # it cannot keep up: it is let go, and resumes from the ring
                subscriber.dropped = True
                _end(subscriber)

    def ident(self, event: Event) -> str:
        return f"{self.boot}.{event.seq}"

    def after(self, last_id: str | None) -> Iterator[Event]:
        """The ring's events after `last_id` (this process's); all of them for another process's id;
        none for no id (a new reader starts from now)."""
        if last_id is None:
            return iter(())
        boot, _, seq = last_id.partition(".")
        if boot != self.boot or not seq.isdigit():
            return iter(list(self._ring))
        return iter([e for e in self._ring if e.seq > int(seq)])

    def subscribe(
        self, wants: Callable[[Event], bool], sandbox: tuple[str | None, str | None] = (None, None)
    ) -> Subscriber:
        """A new reader (of one sandbox, when `sandbox` names it); TooManyReaders past the bounds,
        which hold for sandboxes' readers (the admin's, of the whole mock, are never turned away).
        When all MAX_READERS are taken, the sandbox with the most gives up its newest reader to a
        sandbox with fewer (`core/services/shares.py`)."""
        if sandbox[1] is not None:
            if self._shares.of(sandbox) >= MAX_READERS_PER_SANDBOX:
                raise TooManyReaders(f"this sandbox has {MAX_READERS_PER_SANDBOX} readers already")
            if self._shares.total >= MAX_READERS:
                giver = self._shares.giver(sandbox)
                if giver is None:
                    raise TooManyReaders(
                        f"the {MAX_READERS} sandbox readers are shared out and this sandbox has its share"
                    )
                newest = max((s for s in self._subscribers if s.sandbox == giver), key=lambda s: s.since)
                _end(newest)
                self.unsubscribe(newest)
        subscriber = Subscriber(wants, sandbox, since=next(self._made))
        self._subscribers.add(subscriber)
        if sandbox[1] is not None:
            self._shares.add(sandbox)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.discard(subscriber)
            if subscriber.sandbox[1] is not None:
                self._shares.remove(subscriber.sandbox)

    @property
    def subscribed(self) -> int:
        return len(self._subscribers)

    def close(self) -> None:
        """The mock stops: every reader's stream ends (it reconnects to the next process)."""
        for subscriber in self._subscribers:
            _end(subscriber)
        self._subscribers.clear()
        self._shares.clear()


def _end(subscriber: Subscriber) -> None:
    """Tell a reader its stream ends (the None after what it has queued; its oldest event goes for it
    when its queue is full)."""
    if subscriber.queue.full():
        subscriber.queue.get_nowait()
    subscriber.queue.put_nowait(None)
