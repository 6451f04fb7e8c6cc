"""Receivers that time out, fail, refuse or dawdle: each event is delivered once it can be, or visibly
given up on after the retry window; never lost, never sent again once a 2xx came back."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from aiohttp import web

from mockserver.core.services.clock import Clock
from mockserver.core.services.scheduler import Scheduler
from mockserver.core.services.webhooks import RetryPolicy, WebhookDispatcher
from tests.core.test_webhooks import make_dispatcher

POLICY = RetryPolicy(max_attempts=4, base=10, factor=2, timeout=0.2)


async def _receiver(aiohttp_server: Any, behaviours: list[str]) -> tuple[str, list[int]]:
    """Each call takes the next behaviour: ok, fail (500), hang (past the timeout), slow (within it)."""
    calls: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        behaviour = behaviours.pop(0) if behaviours else "ok"
        calls.append(len(calls) + 1)
        if behaviour == "hang":
            await asyncio.sleep(1)
        if behaviour == "slow":
            await asyncio.sleep(0.05)
        return web.Response(status=500 if behaviour == "fail" else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = await aiohttp_server(app)
    return str(server.make_url("/hook")), calls


async def _run_until_settled(clock: Clock, scheduler: Scheduler, hooks: WebhookDispatcher) -> None:
    for _ in range(POLICY.max_attempts + 1):  # every retry is due within base·factor^n seconds
        scheduler.run_due()
        await hooks.settle()
        clock.advance(POLICY.max_delay)
    scheduler.run_due()
    await hooks.settle()


async def test_timeouts_failures_and_slow_answers_end_delivered_exactly_once(aiohttp_server: Any) -> None:
    clock, scheduler, hooks = await make_dispatcher()
    cases = {"hang-then-ok": ["hang", "ok"], "fail-fail-ok": ["fail", "fail", "ok"], "slow": ["slow"]}
    sent = {}
    for name, behaviours in cases.items():
        url, calls = await _receiver(aiohttp_server, list(behaviours))
        sent[name] = (
            hooks.send(provider="p", tenant="t", event=name, url=url, body=b"{}", policy=POLICY),
            calls,
        )
    await _run_until_settled(clock, scheduler, hooks)
    for name, (delivery, calls) in sent.items():
        assert delivery.state == "delivered", name
        assert len(calls) == len(cases[name]), name  # no attempt after the 2xx
        assert [a.status for a in delivery.attempts][-1] == 200
    hang = sent["hang-then-ok"][0].attempts[0]
    assert hang.status is None and "no answer within 0.2 s" in (hang.error or "")
    await hooks.stop()


async def test_a_receiver_that_refuses_or_always_fails_is_given_up_visibly(aiohttp_server: Any) -> None:
    clock, scheduler, hooks = await make_dispatcher()
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    failing, calls = await _receiver(aiohttp_server, ["fail"] * 10)
    deliveries = [
        hooks.send(provider="p", tenant="t", event="e", url=url, body=b"{}", policy=POLICY)
        for url in (refused, failing)
    ]
    await _run_until_settled(clock, scheduler, hooks)
    for delivery in deliveries:
        assert delivery.state == "failed" and len(delivery.attempts) == POLICY.max_attempts
        assert delivery.next_attempt_at is None
    assert len(calls) == POLICY.max_attempts
    assert all(d["state"] == "failed" for d in (x.as_json() for x in hooks.list()))
    await hooks.stop()
