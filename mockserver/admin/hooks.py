"""Admin: webhook deliveries (log, replay, pause/resume) and inboxes that receive callbacks for demos."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from mockserver.admin.common import reply, runtime_of

INBOX_SIZE = 200


async def deliveries(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    found = runtime.webhooks.list(request.query.get("provider"), request.query.get("tenant"))
    return reply(
        {"count": len(found), "paused": runtime.webhooks.paused, "deliveries": [d.as_json() for d in found]}
    )


async def replay(request: web.Request) -> web.Response:
    replayed = runtime_of(request).webhooks.replay(request.match_info["delivery_id"])
    if replayed is None:
        return reply({"error": f"no delivery {request.match_info['delivery_id']}"}, 404)
    return reply(replayed.as_json(), 201)


async def pause(request: web.Request) -> web.Response:
    runtime_of(request).webhooks.pause()
    return reply({"paused": True})


async def resume(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    released = runtime.webhooks.resume()
    runtime.scheduler.run_due()
    return reply({"paused": False, "released": released})


async def inbox_receive(request: web.Request) -> web.Response:
    """A callback receiver for demos and tests: any method, any body; answers 200."""
    runtime = runtime_of(request)
    raw = await request.read()
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    box = runtime.inboxes.setdefault(request.match_info["name"], [])
    box.append(
        {
            "at": runtime.clock.snapshot()["now"],
            "method": request.method,
            "headers": dict(request.headers),
            "body": body,
            "raw": raw.decode("utf-8", "replace"),
        }
    )
    del box[:-INBOX_SIZE]
    return reply({"received": True})


async def inbox_show(request: web.Request) -> web.Response:
    box = runtime_of(request).inboxes.get(request.match_info["name"], [])
    return reply({"name": request.match_info["name"], "count": len(box), "messages": list(reversed(box))})


async def inbox_clear(request: web.Request) -> web.Response:
    runtime_of(request).inboxes.pop(request.match_info["name"], None)
    return reply({"cleared": True})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/webhooks", deliveries)
    router.add_post("/webhooks/pause", pause)
    router.add_post("/webhooks/resume", resume)
    router.add_post("/webhooks/{delivery_id}/replay", replay)
    router.add_get("/inbox/{name}", inbox_show)
    router.add_delete("/inbox/{name}", inbox_clear)
    router.add_route("*", "/inbox/{name}", inbox_receive)
