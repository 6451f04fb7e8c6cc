"""The control plane's routes: health, reset, state, clock, lifecycle, actions and the journal here;
scenario rules and verification in `faults`, webhook deliveries and the inbox in `hooks`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver import __version__
from mockserver.admin import clocks, cluster, coverage, events, faults, hooks, stream, ui
from mockserver.admin.access import access, sandbox_of, scope_of
from mockserver.admin.common import (
    AdminError,
    admin_errors,
    check_keys,
    check_operation,
    check_provider,
    epoch,
    json_body,
    reply,
    runtime_of,
)
from mockserver.admin.contract import contract
from mockserver.admin.guard import guard, secure_headers
from mockserver.core import persistence
from mockserver.core.errors import MockError
from mockserver.core.services.clock import check_change
from mockserver.core.services.lifecycle import Mode


async def health(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    return reply(
        {
            "status": "ok",
            "version": __version__,
            "providers": sorted(runtime.providers),
            "clock": runtime.clock.snapshot(),
        }
    )


async def reset(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    body = await json_body(request)
    check_keys(body, ("provider", "tenant"), "reset field")
    provider, tenant = scope_of(request).narrow(body.get("provider"), body.get("tenant"))
    check_provider(runtime, provider, required=False)
    runtime.reset(provider, tenant)
    return reply({"reset": {"provider": provider or "*", "tenant": tenant or "*"}})


async def reset_controls(request: web.Request) -> web.Response:
    """Back to defaults: no scenario rules, default lifecycle modes, delivery running, empty inboxes;
    `{provider, tenant}` does it for one sandbox's own controls."""
    body = await json_body(request)
    check_keys(body, ("provider", "tenant"), "reset field")
    check_provider(runtime_of(request), body.get("provider"), required=False)
    provider, tenant = sandbox_of(request, body.get("provider"), body.get("tenant"))
    runtime_of(request).reset_controls(provider, tenant)
    named = {"provider": provider, "tenant": tenant} if tenant else {}
    return reply({"reset": "controls", **named})


async def state_export(request: web.Request) -> web.Response:
    """Everything, as the writes that made it: import it here or into another mock to get it back (a
    sandbox's credential: that sandbox's writes only)."""
    scope = scope_of(request)
    return reply(
        persistence.export(runtime_of(request), None if scope.whole else (scope.provider, scope.tenant))
    )


async def state_import(request: web.Request) -> web.Response:
    data = await json_body(request)
    try:
        replayed = await persistence.import_state(runtime_of(request), data)
    except ValueError as error:
        raise AdminError(str(error)) from None
    return reply({"imported": replayed})


async def clock_get(request: web.Request) -> web.Response:
    return reply(runtime_of(request).clock.snapshot())


async def clock_set(request: web.Request) -> web.Response:
    """Body fields, applied in this order: `set`, `freeze` (true/false), `speed`, `advance` (seconds)."""
    runtime = runtime_of(request)
    body = await json_body(request)
    check_keys(body, ("set", "freeze", "speed", "advance"), "clock field")
    clock = runtime.clock
    change: dict[str, Any] = {k: body[k] for k in ("set", "speed", "advance") if k in body}
    if "set" in change:
        change["set"] = epoch(change["set"])
    try:
        check_change(clock.own_now(), change)
    except (TypeError, ValueError) as error:
        raise AdminError(str(error)) from None
    if "set" in change:
        clock.set(change["set"])
    if body.get("freeze") is True:
        clock.freeze()
    elif body.get("freeze") is False:
        clock.unfreeze()
    if "speed" in change:
        clock.set_speed(float(change["speed"]))
    if "advance" in change:
        clock.advance(float(change["advance"]))
    runtime.scheduler.run_due()
    stream.clock_moved(runtime)
    return reply(clock.snapshot())


async def lifecycle(request: web.Request) -> web.Response:
    """`{provider, kind?, mode, seconds?, polls?}` sets how work advances: immediate, timed (every step after
    `seconds` when given), manual, or polls (a step every `polls` reads); `{provider, kind?, key?, advance:
    true}` moves unfinished work one step now."""
    runtime = runtime_of(request)
    body = await json_body(request)
    fields = ("provider", "tenant", "kind", "key", "mode", "seconds", "polls", "advance")
    check_keys(body, fields, "lifecycle field")
    check_provider(runtime, body.get("provider"))
    named, tenant = sandbox_of(request, body.get("provider"), body.get("tenant"))
    provider = str(named)
    kind = body.get("kind")
    if "mode" in body:
        try:
            mode = Mode(body["mode"])
        except ValueError:
            raise AdminError(f"mode must be one of {[m.value for m in Mode]}") from None
        try:
            runtime.lifecycles.set_mode(
                provider,
                kind or "*",
                mode,
                seconds=body.get("seconds"),
                polls=body.get("polls"),
                tenant=tenant,
            )
        except (TypeError, ValueError) as error:
            raise AdminError(str(error)) from None
    moved = runtime.lifecycles.advance(provider, kind, body.get("key"), tenant) if body.get("advance") else 0
    pending = [
        {"kind": t.kind, "key": t.key, "next": t.steps[t.index].state, "polls": t.polls}
        for t in runtime.lifecycles.pending(provider, tenant)
    ]
    modes = {f"{p}/{k}": c.as_json() for (p, k), c in runtime.lifecycles.modes.items() if p == provider}
    answer = {"provider": provider, "modes": modes, "advanced": moved, "pending": pending}
    if tenant is not None:  # the sandbox's own modes, which its work follows before the provider's
        own = runtime.lifecycles.sandbox_modes.items()
        answer["tenant"] = tenant
        answer["sandbox_modes"] = {k: c.as_json() for (p, t, k), c in own if (p, t) == (provider, tenant)}
    return reply(answer)


async def action(request: web.Request) -> web.Response:
    """A provider's mock-only action, e.g. Avenio's receptor confirming an annulment."""
    runtime = runtime_of(request)
    scope_of(request).narrow(request.match_info["provider"], None)
    pr = runtime.providers.get(request.match_info["provider"])
    if pr is None:
        raise AdminError(f"unknown provider {request.match_info['provider']!r}")
    act = pr.provider.admin_actions.get(request.match_info["action"])
    if act is None:
        raise AdminError(
            f"{pr.name} has no action {request.match_info['action']!r}; "
            f"it has: {', '.join(pr.provider.admin_actions) or 'none'}"
        )
    body = await json_body(request)
    _, tenant = scope_of(request).narrow(pr.name, body.get("tenant"))
    if tenant is not None:
        body["tenant"] = tenant
    if isinstance(body.get("tenant"), str):  # the key itself or its label: the sandbox it opened
        body["tenant"] = pr.tenant_name(body["tenant"])
    try:
        result = act(pr, body)
    except MockError as error:  # the provider's own refusal (an expired payment request), said plainly
        raise AdminError(error.message) from None
    except (KeyError, LookupError, ValueError) as error:
        raise AdminError(str(error)) from None
    runtime.scheduler.run_due()
    return reply(result)


JOURNAL_FILTERS = ("provider", "operation", "tenant", "method", "status", "since", "until", "limit")


async def requests(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    q = request.query
    check_keys(q, JOURNAL_FILTERS, "journal filter")
    check_provider(runtime, q.get("provider"), required=False)
    check_operation(runtime, q.get("provider"), q.get("operation"))
    provider, tenant = scope_of(request).narrow(q.get("provider"), q.get("tenant"))
    try:
        entries = runtime.journal.query(
            provider=provider,
            operation=q.get("operation"),
            tenant=tenant,
            method=q.get("method"),
            status=int(q["status"]) if "status" in q else None,
            since=epoch(q["since"]) if "since" in q else None,
            until=epoch(q["until"]) if "until" in q else None,
            limit=int(q["limit"]) if "limit" in q else None,
        )
    except ValueError as error:
        raise AdminError(str(error)) from None
    return reply({"count": len(entries), "requests": [e.as_json() for e in entries]})


def add_admin_routes(app: web.Application) -> None:
    admin = web.Application(middlewares=[admin_errors, guard, access, contract, cluster.fan_out])
    admin.router.add_get("/health", health)
    admin.router.add_post("/reset", reset)
    admin.router.add_post("/reset/controls", reset_controls)
    admin.router.add_get("/state", state_export)
    admin.router.add_put("/state", state_import)
    admin.router.add_get("/clock", clock_get)
    admin.router.add_post("/clock", clock_set)
    admin.router.add_post("/lifecycle", lifecycle)
    admin.router.add_post("/actions/{provider}/{action}", action)
    admin.router.add_get("/requests", requests)
    faults.add_routes(admin.router)
    hooks.add_routes(admin.router)
    coverage.add_routes(admin.router)
    clocks.add_routes(admin.router)
    events.add_routes(admin.router)
    stream.add_routes(admin.router)
    ui.add_routes(admin.router)
    admin.on_response_prepare.append(secure_headers)
    app.add_subapp("/__admin", admin)
