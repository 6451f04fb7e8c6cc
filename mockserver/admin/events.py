"""`/__admin/events`: the webhook events each provider's spec documents, and any of them sent on demand.

`GET` lists every type with what its receiver is sent (the spec's schema, whose `$ref`s point into the
provider's own spec). `POST {"provider", "tenant", "type", "entity"?, "url"?}` sends one: about the
sandbox's existing `entity` (its id) or a made-up one, built, signed and retried by the provider's own
code, to where the provider sends that event (and to `url`, when given). The entity's state does not
change: a receiver can be shown a late confirmation or a rejection after an acceptance.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.admin.access import sandbox_of, scope_of
from mockserver.admin.common import AdminError, check_keys, check_provider, json_body, reply, runtime_of
from mockserver.core.pipeline.call import origin_of
from mockserver.core.plugin import Trigger

FIELDS = ("provider", "tenant", "type", "entity", "url")


async def catalogue(request: web.Request) -> web.Response:
    check_keys(request.query, ("provider",), "events filter")
    runtime = runtime_of(request)
    check_provider(runtime, request.query.get("provider"), required=False)
    scope = scope_of(request)
    wanted = scope.provider or request.query.get("provider")
    events = [
        {
            "provider": pr.name,
            "type": hook.type,
            "summary": hook.summary,
            "headers": list(hook.headers),
            "schema": hook.schema,
        }
        for pr in runtime.providers.values()
        if wanted in (None, pr.name)
        for hook in pr.spec.webhooks.values()
    ]
    return reply({"count": len(events), "events": events})


async def trigger(request: web.Request) -> web.Response:
    body = await json_body(request)
    check_keys(body, FIELDS, "event field")
    runtime = runtime_of(request)
    provider, sandbox = sandbox_of(request, body.get("provider"), body.get("tenant"))
    if provider is None or sandbox is None:
        raise AdminError("an event is sent in one sandbox: give provider and tenant")
    pr = runtime.providers[provider]
    kind = body.get("type")
    if kind not in pr.spec.webhooks:
        raise AdminError(f"unknown event type {kind!r} for {provider}; known: {', '.join(pr.spec.webhooks)}")
    for name in ("entity", "url"):
        if body.get(name) is not None and not (isinstance(body[name], str) and body[name]):
            raise AdminError(f"{name} must be a non-empty string")
    send = pr.provider.trigger_event
    assert send is not None  # start-up refuses a spec with webhooks and no trigger_event
    base = origin_of(runtime, request) + pr.provider.mount
    asked = Trigger(sandbox, str(kind), body.get("entity"), body.get("url"), base)
    try:
        with runtime.testclocks.entered(provider, sandbox):  # dated and retried on the sandbox's clock
            sent = send(pr, asked)
    except LookupError as missing:
        return reply({"error": str(missing.args[0] if missing.args else missing)}, 404)
    except ValueError as refused:
        raise AdminError(str(refused)) from None
    answer: dict[str, Any] = {"provider": provider, "tenant": sandbox, "type": kind}
    return reply({**answer, "deliveries": [d.as_json() for d in sent]}, 202)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/events", catalogue)
    router.add_post("/events", trigger)
