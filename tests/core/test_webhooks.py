"""Webhook delivery: a failing receiver is retried with backoff on the clock until it answers 2xx."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.core.services.clock import Clock
from mockserver.core.services.ids import Ids
from mockserver.core.services.scheduler import Scheduler
from mockserver.core.services.webhooks import Delivery, RetryPolicy, WebhookDispatcher


async def _receiver(aiohttp_server: Any, statuses: list[int]) -> tuple[Any, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append({"body": await request.read(), "headers": dict(request.headers)})
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    return await aiohttp_server(app), seen


async def make_dispatcher(log_size: int = 1000) -> tuple[Clock, Scheduler, WebhookDispatcher]:
    """A started dispatcher on a frozen clock at 0; the tests move the clock and run the scheduler."""
    clock = Clock(0.0, frozen=True)
    scheduler = Scheduler(clock)
    dispatcher = WebhookDispatcher(clock, scheduler, Ids(1), log_size=log_size)
    await dispatcher.start()
    return clock, scheduler, dispatcher


async def _step(scheduler: Scheduler, dispatcher: WebhookDispatcher) -> None:
    scheduler.run_due()
    await dispatcher.settle()


async def test_failing_receiver_is_retried_with_backoff_until_it_succeeds(aiohttp_server: Any) -> None:
    server, seen = await _receiver(aiohttp_server, [500, 503])
    clock, scheduler, dispatcher = await make_dispatcher()
    delivery = dispatcher.send(
        provider="p",
        tenant="t",
        event="e",
        url=str(server.make_url("/hook")),
        body=b'{"a":1}',
        policy=RetryPolicy(max_attempts=5, base=10, factor=2),
    )
    await _step(scheduler, dispatcher)
    assert [a.status for a in delivery.attempts] == [500]
    assert delivery.next_attempt_at == 10
    clock.advance(9)
    await _step(scheduler, dispatcher)
    assert len(delivery.attempts) == 1  # not before the backoff
    clock.advance(1)
    await _step(scheduler, dispatcher)
    assert delivery.next_attempt_at == 30  # 10 + 20
    clock.advance(20)
    await _step(scheduler, dispatcher)
    assert [a.status for a in delivery.attempts] == [500, 503, 200]
    assert delivery.state == "delivered"
    assert [s["body"] for s in seen] == [b'{"a":1}'] * 3
    await dispatcher.stop()


async def test_delivery_is_given_up_after_max_attempts_and_refused_connections_count(
    aiohttp_server: Any,
) -> None:
    clock, scheduler, dispatcher = await make_dispatcher()
    delivery = dispatcher.send(
        provider="p",
        tenant="t",
        event="e",
        url="http://127.0.0.1:9/nothing-listens",
        body=b"{}",
        policy=RetryPolicy(max_attempts=3, base=1, factor=1),
    )
    for _ in range(3):
        await _step(scheduler, dispatcher)
        clock.advance(1)
    assert delivery.state == "failed"
    assert len(delivery.attempts) == 3
    assert all(a.error for a in delivery.attempts)
    await dispatcher.stop()


async def test_provider_signer_adds_headers_per_attempt(aiohttp_server: Any) -> None:
    server, seen = await _receiver(aiohttp_server, [])
    _, scheduler, dispatcher = await make_dispatcher()

    def sign(delivery: Delivery, now: float) -> dict[str, str]:
        return {"X-Signature": f"{delivery.event}:{len(delivery.body)}:{now:g}"}

    dispatcher.signers["p"] = sign
    dispatcher.send(provider="p", tenant="t", event="evt", url=str(server.make_url("/hook")), body=b"12345")
    await _step(scheduler, dispatcher)
    assert seen[0]["headers"]["X-Signature"] == "evt:5:0"
    await dispatcher.stop()


async def test_a_pending_delivery_the_log_forgot_is_still_sent_and_a_reset_cancels(
    aiohttp_server: Any,
) -> None:
    server, seen = await _receiver(aiohttp_server, [])
    _, scheduler, dispatcher = await make_dispatcher(log_size=2)
    dispatcher.pause()
    url = str(server.make_url("/hook"))
    for n in range(5):
        dispatcher.send(provider="p", tenant="t", event="e", url=url, body=b'{"n": %d}' % n)
    scheduler.run_due()
    assert len(dispatcher.deliveries) == 2  # the log keeps the newest two
    dispatcher.resume()
    scheduler.run_due()
    await dispatcher.settle()
    assert sorted(s["body"] for s in seen) == [b'{"n": %d}' % n for n in range(5)]
    cancelled = dispatcher.send(provider="p", tenant="t", event="e", url=url, body=b"late")
    dispatcher.clear()
    scheduler.run_due()
    await dispatcher.settle()
    assert cancelled.state == "cancelled" and len(seen) == 5
    await dispatcher.stop()
