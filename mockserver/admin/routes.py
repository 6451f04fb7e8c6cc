"""Admin endpoints: health, reset, clock, lifecycle, request journal, webhook deliveries."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from mockserver import __version__
from mockserver.core import persistence
from mockserver.core.lifecycle import Mode
from mockserver.core.runtime import RUNTIME, Runtime


class AdminError(Exception):
    pass


__all__ = ["RUNTIME", "AdminError", "add_admin_routes"]


def _runtime(request: web.Request) -> Runtime:
    return request.config_dict[RUNTIME]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise AdminError("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise AdminError("the body must be a JSON object")
    return data


def _epoch(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise AdminError(f"not a time: {value!r} (use epoch seconds or ISO 8601)")


@web.middleware
async def admin_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except AdminError as error:
        return _json({"error": str(error)}, 400)


async def health(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    return _json(
        {
            "status": "ok",
            "version": __version__,
            "providers": sorted(runtime.providers),
            "clock": runtime.clock.snapshot(),
        }
    )


async def reset(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    body = await _body(request)
    provider, tenant = body.get("provider"), body.get("tenant")
    if provider is not None and provider not in runtime.providers:
        raise AdminError(f"unknown provider {provider!r}")
    runtime.reset(provider, tenant)
    return _json({"reset": {"provider": provider or "*", "tenant": tenant or "*"}})


async def reset_controls(request: web.Request) -> web.Response:
    """Back to defaults: no scenario rules, default lifecycle modes, delivery running, empty inboxes."""
    _runtime(request).reset_controls()
    return _json({"reset": "controls"})


async def state_export(request: web.Request) -> web.Response:
    """Everything, as the writes that made it: import it here or into another mock to get it back."""
    return _json(persistence.export(_runtime(request)))


async def state_import(request: web.Request) -> web.Response:
    try:
        data = await request.json()
    except ValueError:
        raise AdminError("the body is not JSON: send what GET /__admin/state answered") from None
    try:
        replayed = await persistence.import_state(_runtime(request), data)
    except ValueError as error:
        raise AdminError(str(error)) from None
    return _json({"imported": replayed})


async def clock_get(request: web.Request) -> web.Response:
    return _json(_runtime(request).clock.snapshot())


async def clock_set(request: web.Request) -> web.Response:
    """Body fields, applied in this order: `set`, `freeze` (true/false), `speed`, `advance` (seconds)."""
    runtime = _runtime(request)
    body = await _body(request)
    clock = runtime.clock
    try:
        if "set" in body:
            clock.set(_epoch(body["set"]))
        if body.get("freeze") is True:
            clock.freeze()
        elif body.get("freeze") is False:
            clock.unfreeze()
        if "speed" in body:
            clock.set_speed(float(body["speed"]))
        if "advance" in body:
            clock.advance(float(body["advance"]))
    except (TypeError, ValueError) as error:
        raise AdminError(str(error)) from None
    runtime.scheduler.run_due()
    return _json(clock.snapshot())


async def lifecycle(request: web.Request) -> web.Response:
    """`{provider, kind?, mode, seconds?, polls?}` sets how work advances: immediate, timed (every step after
    `seconds` when given), manual, or polls (a step every `polls` reads); `{provider, kind?, key?, advance:
    true}` moves unfinished work one step now."""
    runtime = _runtime(request)
    body = await _body(request)
    provider = body.get("provider")
    if provider not in runtime.providers:
        raise AdminError(f"unknown provider {provider!r}")
    kind = body.get("kind")
    if "mode" in body:
        try:
            mode = Mode(body["mode"])
        except ValueError:
            raise AdminError(f"mode must be one of {[m.value for m in Mode]}") from None
        try:
            runtime.lifecycles.set_mode(
                provider, kind or "*", mode, seconds=body.get("seconds"), polls=body.get("polls")
            )
        except (TypeError, ValueError) as error:
            raise AdminError(str(error)) from None
    moved = runtime.lifecycles.advance(provider, kind, body.get("key")) if body.get("advance") else 0
    pending = [
        {"kind": t.kind, "key": t.key, "next": t.steps[t.index].state, "polls": t.polls}
        for t in runtime.lifecycles.pending(provider)
    ]
    modes = {f"{p}/{k}": c.as_json() for (p, k), c in runtime.lifecycles.modes.items() if p == provider}
    return _json({"provider": provider, "modes": modes, "advanced": moved, "pending": pending})


async def action(request: web.Request) -> web.Response:
    """A provider's mock-only action, e.g. Avenio's receptor confirming an annulment."""
    runtime = _runtime(request)
    pr = runtime.providers.get(request.match_info["provider"])
    if pr is None:
        raise AdminError(f"unknown provider {request.match_info['provider']!r}")
    act = pr.provider.admin_actions.get(request.match_info["action"])
    if act is None:
        raise AdminError(
            f"{pr.name} has no action {request.match_info['action']!r}; "
            f"it has: {', '.join(pr.provider.admin_actions) or 'none'}"
        )
    body = await _body(request)
    if isinstance(body.get("tenant"), str):  # the key itself or its label: the sandbox it opened
        body["tenant"] = pr.tenant_name(body["tenant"])
    try:
        result = act(pr, body)
    except (KeyError, LookupError, ValueError) as error:
        raise AdminError(str(error)) from None
    runtime.scheduler.run_due()
    return _json(result)


async def requests(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    q = request.query
    try:
        entries = runtime.journal.query(
            provider=q.get("provider"),
            operation=q.get("operation"),
            tenant=q.get("tenant"),
            method=q.get("method"),
            status=int(q["status"]) if "status" in q else None,
            since=_epoch(q["since"]) if "since" in q else None,
            until=_epoch(q["until"]) if "until" in q else None,
            limit=int(q["limit"]) if "limit" in q else None,
        )
    except ValueError as error:
        raise AdminError(str(error)) from None
    return _json({"count": len(entries), "requests": [e.as_json() for e in entries]})


def add_admin_routes(app: web.Application) -> None:
    from mockserver.admin import faults, hooks

    admin = web.Application(middlewares=[admin_errors])
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
    app.add_subapp("/__admin", admin)
