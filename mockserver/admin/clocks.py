"""Test clocks: `/__admin/clocks`, a clock per test, attached to the sandboxes it drives. A sandbox's
credential makes clocks for its own sandbox and sees, moves and deletes only those it made."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.admin.access import Scope, scope_of
from mockserver.admin.common import (
    AdminError,
    Forbidden,
    check_keys,
    check_provider,
    epoch,
    json_body,
    reply,
    runtime_of,
)
from mockserver.admin.stream import clock_moved
from mockserver.core.runtime import Runtime
from mockserver.core.services.clock import SandboxClock


class NoSuchClock(AdminError):
    status = 404


CREATE = ("frozen_time", "frozen", "name", "sandboxes")
MOVE = ("set", "freeze", "speed", "advance", "attach", "detach")


def _sandboxes(runtime: Runtime, given: Any, scope: Scope) -> list[tuple[str, str]]:
    """`[{"provider", "tenant"}]` → the (provider, sandbox) pairs they name (a key or its label); a
    sandbox's credential names only its own (403 for another)."""
    if not isinstance(given, list):
        raise AdminError("sandboxes must be a list of {provider, tenant}")
    out = []
    for item in given:
        if not isinstance(item, dict) or not isinstance(item.get("tenant"), str) or not item["tenant"]:
            raise AdminError("each sandbox is {provider, tenant}, with the tenant a credential or its label")
        check_keys(item, ("provider", "tenant"), "sandbox field")
        check_provider(runtime, item.get("provider"))
        pr = runtime.providers[item["provider"]]
        named = (pr.name, pr.tenant_name(item["tenant"]))
        if not scope.owns(*named):
            raise Forbidden(f"this credential reaches only its own sandbox ({scope.provider} {scope.tenant})")
        out.append(named)
    return out


def _own(scope: Scope) -> tuple[str, str] | None:
    return None if scope.whole else (str(scope.provider), str(scope.tenant))


def _mine(scope: Scope, clock: SandboxClock) -> bool:
    """A sandbox's credential sees the clocks it made, the admin every clock."""
    return scope.whole or clock.owner == _own(scope)


def _shown(runtime: Runtime, clock: SandboxClock) -> dict[str, Any]:
    sandboxes = [{"provider": p, "tenant": t} for p, t in runtime.testclocks.sandboxes(clock.id)]
    return {**clock.snapshot(runtime.clock.own_now()), "sandboxes": sandboxes}


def _clock(runtime: Runtime, request: web.Request) -> SandboxClock:
    found = runtime.testclocks.clocks.get(request.match_info["clock_id"])
    if found is None or not _mine(scope_of(request), found):  # another's clock is as good as none
        raise NoSuchClock(f"no test clock {request.match_info['clock_id']}")
    return found


def _flag(body: dict[str, Any], name: str) -> None:
    if name in body and not isinstance(body[name], bool):
        raise AdminError(f"{name} must be true or false, not {body[name]!r}")


async def create(request: web.Request) -> web.Response:
    """`{frozen_time?, frozen?, name?, sandboxes?}`: a clock at `frozen_time` (else the mock's now),
    frozen unless `frozen` is false (then it runs on from there)."""
    runtime = runtime_of(request)
    body = await json_body(request)
    check_keys(body, CREATE, "clock field")
    _flag(body, "frozen")
    at = epoch(body["frozen_time"]) if "frozen_time" in body else None
    scope = scope_of(request)
    sandboxes = _sandboxes(runtime, body.get("sandboxes", []), scope)
    if "sandboxes" not in body and not scope.whole:
        sandboxes = [(str(scope.provider), str(scope.tenant))]  # a sandbox's clock drives that sandbox
    ident = "clock_" + runtime.ids.hex(12)
    try:
        made = runtime.testclocks.create(ident, str(body.get("name") or ident), at, sandboxes, _own(scope))
    except ValueError as error:
        raise AdminError(str(error)) from None
    if body.get("frozen") is False:
        runtime.testclocks.move(ident, freeze=False)
    return reply(_shown(runtime, made), 201)


async def listing(request: web.Request) -> web.Response:
    runtime, scope = runtime_of(request), scope_of(request)
    clocks = [_shown(runtime, c) for c in runtime.testclocks.clocks.values() if _mine(scope, c)]
    return reply({"clocks": clocks})


async def item(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    return reply(_shown(runtime, _clock(runtime, request)))


async def move(request: web.Request) -> web.Response:
    """`{set?, freeze?, speed?, advance?, attach?, detach?}`; the sandboxes' work that falls due runs,
    in order, before the answer."""
    runtime = runtime_of(request)
    clock = _clock(runtime, request)
    body = await json_body(request)
    check_keys(body, MOVE, "clock field")
    _flag(body, "freeze")
    attach = _sandboxes(runtime, body.get("attach", []), scope_of(request))
    detach = _sandboxes(runtime, body.get("detach", []), scope_of(request))
    change = {k: body[k] for k in ("set", "freeze", "speed", "advance") if k in body}
    if "set" in change:
        change["set"] = epoch(change["set"])
    try:
        runtime.testclocks.move(clock.id, **change)
    except (TypeError, ValueError) as error:
        raise AdminError(str(error)) from None
    runtime.testclocks.attach(clock.id, attach)
    runtime.testclocks.detach(clock.id, detach)
    runtime.scheduler.run_due()
    clock_moved(runtime, clock)
    return reply(_shown(runtime, clock))


async def delete(request: web.Request) -> web.Response:
    """The clock goes and its sandboxes follow the mock's clock; with `?reset=true` they are also
    emptied (state, journal and controls), as deleting a Stripe test clock deletes what it drove."""
    runtime = runtime_of(request)
    check_keys(request.query, ("reset",), "clock parameter")
    if request.query.get("reset", "false") not in ("true", "false"):
        raise AdminError(f"reset must be true or false, not {request.query['reset']!r}")
    clock = _clock(runtime, request)
    sandboxes = runtime.testclocks.sandboxes(clock.id)
    runtime.delete_clock(clock.id)
    if request.query.get("reset") == "true":
        for provider, sandbox in sandboxes:
            runtime.reset_everything(provider, sandbox)
    return reply(
        {"deleted": clock.id} | ({"reset": [list(s) for s in sandboxes]} if "reset" in request.query else {})
    )


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/clocks", create)
    router.add_get("/clocks", listing)
    router.add_get("/clocks/{clock_id}", item)
    router.add_post("/clocks/{clock_id}", move)
    router.add_delete("/clocks/{clock_id}", delete)
