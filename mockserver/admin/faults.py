"""Admin: fault-injection rules and the scenario catalogue, and verification against the journal."""

from __future__ import annotations

from aiohttp import web

from mockserver.admin.routes import AdminError, _body, _json, _runtime
from mockserver.core.scenarios import ScenarioError
from mockserver.core.verify import verify


async def scenarios_list(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    return _json(
        {
            "rules": [r.as_json() for r in runtime.scenarios.rules],
            "catalogues": {name: runtime.scenarios.catalogue(name) for name in runtime.providers},
        }
    )


async def scenarios_add(request: web.Request) -> web.Response:
    runtime = _runtime(request)
    body = await _body(request)
    if body.get("provider") not in runtime.providers:
        raise AdminError(f"unknown provider {body.get('provider')!r}")
    try:
        rule = runtime.scenarios.add(body)
    except ScenarioError as error:
        raise AdminError(str(error)) from None
    return _json(rule.as_json(), 201)


async def scenarios_clear(request: web.Request) -> web.Response:
    return _json({"removed": _runtime(request).scenarios.remove(provider=request.query.get("provider"))})


async def scenario_remove(request: web.Request) -> web.Response:
    removed = _runtime(request).scenarios.remove(rule_id=request.match_info["rule_id"])
    if not removed:
        return _json({"error": f"no rule {request.match_info['rule_id']}"}, 404)
    return _json({"removed": removed})


async def verify_calls(request: web.Request) -> web.Response:
    """200 when the journal holds the calls described, 422 with a near-miss report when it does not."""
    body = await _body(request)
    for key in ("times", "at_least", "at_most"):
        if key in body and (not isinstance(body[key], int) or body[key] < 0):
            raise AdminError(f"{key} must be a non-negative integer")
    result = verify(_runtime(request).journal, body)
    return _json(result, 200 if result["ok"] else 422)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/scenarios", scenarios_list)
    router.add_post("/scenarios", scenarios_add)
    router.add_delete("/scenarios", scenarios_clear)
    router.add_delete("/scenarios/{rule_id}", scenario_remove)
    router.add_post("/verify", verify_calls)
