"""Admin: webhook deliveries (log, replay, pause/resume) and inboxes that receive callbacks for demos."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.admin.access import sandbox_of, scope_of
from mockserver.admin.common import AdminError, check_keys, check_provider, json_body, reply, runtime_of
from mockserver.core import formats
from mockserver.core.runtime import Runtime
from mockserver.core.services.webhooks import DELIVERY_HEADER

NAME_LIMIT = 64  # characters of an inbox's name (how many messages inboxes keep: core/services/inboxes.py)
RAW_LIMIT = 64 * 1024  # characters of a message's raw body kept (the parsed body only when it is smaller)


async def deliveries(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    provider, tenant = scope_of(request).narrow(request.query.get("provider"), request.query.get("tenant"))
    found = runtime.webhooks.list(provider, tenant)
    return reply(
        {"count": len(found), "paused": runtime.webhooks.paused, "deliveries": [d.as_json() for d in found]}
    )


async def replay(request: web.Request) -> web.Response:
    hooks = runtime_of(request).webhooks
    original = hooks.deliveries.get(request.match_info["delivery_id"])
    owned = original is not None and scope_of(request).owns(original.provider, original.tenant)
    replayed = hooks.replay(request.match_info["delivery_id"]) if owned else None
    if replayed is None:
        return reply({"error": f"no delivery {request.match_info['delivery_id']}"}, 404)
    return reply(replayed.as_json(), 201)


async def _sandbox(request: web.Request) -> tuple[str | None, str | None]:
    body = await json_body(request)
    check_keys(body, ("provider", "tenant"), "webhooks field")
    check_provider(runtime_of(request), body.get("provider"), required=False)
    provider, tenant = sandbox_of(request, body.get("provider"), body.get("tenant"))
    if provider is not None and tenant is None:
        raise AdminError("pause or resume the whole mock, or one sandbox: give a tenant with the provider")
    return provider, tenant


async def pause(request: web.Request) -> web.Response:
    """Hold deliveries: every one, or one sandbox's (`{provider, tenant}`)."""
    provider, tenant = await _sandbox(request)
    try:
        runtime_of(request).webhooks.pause(provider, tenant)
    except ValueError as error:
        raise AdminError(str(error)) from None
    return reply({"paused": True, "provider": provider or "*", "tenant": tenant or "*"})


async def resume(request: web.Request) -> web.Response:
    provider, tenant = await _sandbox(request)
    runtime = runtime_of(request)
    released = runtime.webhooks.resume(provider, tenant)
    runtime.scheduler.run_due()
    return reply(
        {"paused": False, "released": released, "provider": provider or "*", "tenant": tenant or "*"}
    )


def _sender(runtime: Runtime, request: web.Request, raw: bytes) -> list[str] | None:
    """The sandbox whose delivery this is, when the mock itself sent it (its id and its body agree)."""
    delivery = runtime.webhooks.deliveries.get(request.headers.get(DELIVERY_HEADER, ""))
    if delivery is None or delivery.body != raw:
        return None
    return [delivery.provider, delivery.tenant]


async def inbox_receive(request: web.Request) -> web.Response:
    """A callback receiver for demos and tests: any method, any body; answers 200."""
    runtime = runtime_of(request)
    name = request.match_info["name"]
    if len(name) > NAME_LIMIT:
        raise AdminError(f"an inbox name has at most {NAME_LIMIT} characters")
    raw = await request.read()
    text = raw.decode("utf-8", "replace")
    try:
        body: Any = formats.loads(raw) if raw and len(text) <= RAW_LIMIT else None
    except ValueError:
        body = None
    runtime.inboxes.receive(
        name,
        {
            "at": runtime.clock.snapshot()["now"],
            "method": request.method,
            "headers": dict(request.headers),
            "body": body if body is not None else text[:RAW_LIMIT],
            "raw": text[:RAW_LIMIT],
            "truncated": len(text) > RAW_LIMIT,
            "sandbox": _sender(runtime, request, raw),
        },
    )
    return reply({"received": True})


def _mine(request: web.Request, message: dict[str, Any]) -> bool:
    scope = scope_of(request)
    return scope.whole or message["sandbox"] == [scope.provider, scope.tenant]


async def inbox_show(request: web.Request) -> web.Response:
    """An inbox's messages, newest first (a sandbox's credential: those its own deliveries left)."""
    box = [m for m in runtime_of(request).inboxes.get(request.match_info["name"]) if _mine(request, m)]
    return reply({"name": request.match_info["name"], "count": len(box), "messages": list(reversed(box))})


async def inbox_clear(request: web.Request) -> web.Response:
    runtime_of(request).inboxes.discard(request.match_info["name"], lambda m: _mine(request, m))
    return reply({"cleared": True})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/webhooks", deliveries)
    router.add_post("/webhooks/pause", pause)
    router.add_post("/webhooks/resume", resume)
    router.add_post("/webhooks/{delivery_id}/replay", replay)
    router.add_get("/inbox/{name}", inbox_show)
    router.add_delete("/inbox/{name}", inbox_clear)
    router.add_route("*", "/inbox/{name}", inbox_receive)
