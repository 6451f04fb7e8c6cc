"""Control-plane calls made through a cluster's balancer for the whole cluster (no sandbox named).

The balancer marks such a call (`X-Mock-Cluster: fan-out`) and hands it to any live worker, which asks
every worker (itself too) directly and merges their answers: health, resets, the journal, coverage,
deliveries, scenario rules and inboxes. Every other whole-mock call would act on one worker as if it
were the mock, so it is refused (421) with how to reach one worker. A worker asked directly answers
for itself, as a mock on its own does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from mockserver.admin.access import scope_of
from mockserver.admin.common import reply, runtime_of
from mockserver.core.services import shards

HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive", shards.FAN_OUT.lower()}
MERGED = {
    ("GET", "/__admin/health"),
    ("POST", "/__admin/reset"),
    ("POST", "/__admin/reset/controls"),
    ("GET", "/__admin/requests"),
    ("GET", "/__admin/coverage"),
    ("DELETE", "/__admin/coverage"),
    ("GET", "/__admin/webhooks"),
    ("POST", "/__admin/webhooks/pause"),
    ("POST", "/__admin/webhooks/resume"),
    ("GET", "/__admin/scenarios"),
    ("DELETE", "/__admin/scenarios"),
    ("GET", "/__admin/inbox/{name}"),
    ("DELETE", "/__admin/inbox/{name}"),
}
# a list each worker answers with, merged into one (newest first where entries are timed)
LISTS = ("requests", "reports", "deliveries", "rules", "messages")
Answers = dict[str, tuple[int, Any]]


@web.middleware
async def fan_out(request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]) -> Any:
    workers = runtime_of(request).settings.cluster
    if not workers or request.headers.get(shards.FAN_OUT) != "fan-out" or not scope_of(request).whole:
        return await handler(request)
    resource = request.match_info.route.resource
    where = (request.method, resource.canonical if resource is not None else request.path)
    if where not in MERGED:
        listed = ", ".join(f"{name} at {address}" for name, address in workers.items())
        return reply(
            {
                "error": f"{where[0]} {where[1]} acts on one worker, and this mock is a cluster of "
                f"{len(workers)}: send it with {shards.WORKER}: <name> through the balancer, or to a "
                f"worker directly ({listed}); a sandbox's own credential with X-Mock-Provider reaches "
                "its worker by itself",
                "workers": sorted(workers),
            },
            421,
        )
    answers = await _ask_all(request, workers)
    if where == ("GET", "/__admin/health"):
        return _health(answers)
    down = {name: body for name, (status, body) in answers.items() if status == 0}
    if down:
        return reply(
            {
                "error": f"worker(s) {', '.join(sorted(down))} did not answer: the call was done on the "
                "others only; repeat it once they are back",
                "workers": {name: body for name, (_, body) in answers.items()},
            },
            503,
        )
    failed = next(((s, b) for s, b in answers.values() if s >= 400), None)
    if failed is not None:  # a mistake in the call: every worker refused it the same way
        return reply(failed[1], failed[0])
    return reply(_merge(answers, request.query.get("limit")))


async def _ask_all(request: web.Request, workers: dict[str, str]) -> Answers:
    body = await request.read()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def ask(address: str) -> tuple[int, Any]:
            url = f"http://{address}{request.path_qs}"
            try:
                async with session.request(request.method, url, data=body, headers=headers) as answer:
                    return answer.status, await answer.json(content_type=None)
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as error:
                return 0, {"status": "down", "error": f"{type(error).__name__}: {error}"}

        results = await asyncio.gather(*(ask(address) for address in workers.values()))
    return dict(zip(workers, results, strict=True))


def _health(answers: Answers) -> web.Response:
    every = {
        name: body if status == 200 else {"status": "down", **body}
        for name, (status, body) in answers.items()
    }
    up = [body for body in every.values() if body.get("status") == "ok"]
    whole = {
        "status": "ok" if len(up) == len(every) else "degraded",
        "version": up[0]["version"] if up else None,
        "providers": up[0]["providers"] if up else [],
        "workers": every,
    }
    return reply(whole, 200 if up else 503)


def _merge(answers: Answers, limit: str | None) -> dict[str, Any]:
    first = next(iter(answers.values()))[1]
    merged: dict[str, Any] = {k: v for k, v in first.items() if k not in LISTS and k != "count"}
    for key, value in merged.items():  # what each worker counted (rules removed…) is the cluster's sum
        if type(value) is int:
            merged[key] = sum(body.get(key, 0) for _, body in answers.values())
    for key in LISTS:
        if key not in first:
            continue
        items = [
            {**item, "worker": name} for name, (_, body) in answers.items() for item in body.get(key, [])
        ]
        if items and all(isinstance(i.get("at"), int | float) for i in items):
            items.sort(key=lambda i: -i["at"])
        if limit and limit.isdigit() and int(limit) > 0:
            items = items[: int(limit)]
        merged[key] = items
        if "count" in first:
            merged["count"] = len(items)
    merged["workers"] = sorted(answers)
    return merged
