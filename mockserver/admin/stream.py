"""`GET /__admin/stream`: the event stream as server-sent events.

Query: `provider`, `tenant` (one sandbox: a sandbox's credential always gets its own only), `kinds`
(a comma list of request, state, webhook, clock). Each event is `id: <boot>.<n>`, `event: <kind>` and
`data: {"id", "kind", "provider", "tenant", "at", "data"}`. A reader that reconnects with
`Last-Event-ID` (or `?last_event_id=`) gets every event after that one the ring still holds, then the
live ones; a new reader starts from now. A comment every 15 s keeps idle connections open.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from mockserver.admin.access import sandbox_of
from mockserver.admin.common import AdminError, check_keys, check_provider, runtime_of
from mockserver.core.runtime import Runtime
from mockserver.core.services.clock import SandboxClock
from mockserver.core.services.stream import KINDS, Event, Stream, TooManyReaders

KEEP_ALIVE = 15.0


class Busy(AdminError):
    status = 429


FILTERS = ("provider", "tenant", "kinds", "last_event_id")


def _frame(stream: Stream, event: Event) -> bytes:
    shown = {
        "id": stream.ident(event),
        "kind": event.kind,
        "provider": event.provider,
        "tenant": event.tenant,
        "at": event.at,
        "data": event.data(),
    }
    text = json.dumps(shown, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"id: {shown['id']}\nevent: {event.kind}\ndata: {text}\n\n".encode()


async def stream(request: web.Request) -> web.StreamResponse:
    runtime, q = runtime_of(request), request.query
    check_keys(q, FILTERS, "stream filter")
    check_provider(runtime, q.get("provider"), required=False)
    provider, tenant = sandbox_of(request, q.get("provider"), q.get("tenant"))
    kinds = {k for k in q.get("kinds", "").split(",") if k} or set(KINDS)
    if not kinds <= set(KINDS):
        raise AdminError(
            f"unknown event kind {', '.join(sorted(kinds - set(KINDS)))}; known: {', '.join(KINDS)}"
        )

    def wants(event: Event) -> bool:
        return (
            event.kind in kinds
            and (provider is None or event.provider == provider)
            and (tenant is None or event.tenant == tenant)
        )

    feed = runtime.stream
    try:  # before the backlog: nothing falls between the two
        subscriber = feed.subscribe(wants, (provider, tenant))
    except TooManyReaders as refused:
        raise Busy(f"{refused}: close one first") from None
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    try:
        await response.prepare(request)
        seen = 0
        for event in feed.after(request.headers.get("Last-Event-ID") or q.get("last_event_id")):
            if wants(event):
                await response.write(_frame(feed, event))
                seen = event.seq
        await response.write(b": live\n\n")
        while True:
            try:
                live = await asyncio.wait_for(subscriber.queue.get(), KEEP_ALIVE)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if live is None:  # the mock stops, or this reader fell too far behind: it reconnects
                break
            if live.seq > seen:
                await response.write(_frame(feed, live))
    except ConnectionResetError:  # the reader went away
        pass
    finally:
        feed.unsubscribe(subscriber)
    return response


def clock_moved(runtime: Runtime, clock: SandboxClock | None = None) -> None:
    """The stream's news of a clock that moved: the mock's (told to everyone), or a test clock (told to
    each sandbox on it)."""
    now = runtime.clock.own_now()
    if clock is None:
        runtime.stream.publish("clock", None, None, now, {"clock": "mock", **runtime.clock.snapshot()})
        return
    shown = {"clock": clock.id, **clock.snapshot(now)}
    for provider, tenant in runtime.testclocks.sandboxes(clock.id):
        runtime.stream.publish("clock", provider, tenant, now, shown)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/stream", stream)
