"""Admin: fault-injection rules and the scenario catalogue, and verification against the journal."""

from __future__ import annotations

from aiohttp import web

from mockserver.admin.common import AdminError, json_body, reply, runtime_of
from mockserver.core.services.scenarios import ScenarioError
from mockserver.core.services.verify import verify


async def scenarios_list(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    return reply(
        {
            "rules": [r.as_json() for r in runtime.scenarios.rules],
            "catalogues": {name: runtime.scenarios.catalogue(name) for name in runtime.providers},
        }
    )


async def scenarios_add(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    body = await json_body(request)
    if body.get("provider") not in runtime.providers:
        raise AdminError(f"unknown provider {body.get('provider')!r}")
    try:
        rule = runtime.scenarios.add(body)
    except ScenarioError as error:
        raise AdminError(str(error)) from None
    return reply(rule.as_json(), 201)


async def scenarios_clear(request: web.Request) -> web.Response:
    return reply({"removed": runtime_of(request).scenarios.remove(provider=request.query.get("provider"))})


async def scenario_remove(request: web.Request) -> web.Response:
    removed = runtime_of(request).scenarios.remove(rule_id=request.match_info["rule_id"])
    if not removed:
        return reply({"error": f"no rule {request.match_info['rule_id']}"}, 404)
    return reply({"removed": removed})


async def verify_calls(request: web.Request) -> web.Response:
    """200 when the journal holds the calls described, 422 with a near-miss report when it does not."""
    body = await json_body(request)
    for key in ("times", "at_least", "at_most"):
        if key in body and (not isinstance(body[key], int) or body[key] < 0):
            raise AdminError(f"{key} must be a non-negative integer")
    result = verify(runtime_of(request).journal, body)
    return reply(result, 200 if result["ok"] else 422)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/scenarios", scenarios_list)
    router.add_post("/scenarios", scenarios_add)
    router.add_delete("/scenarios", scenarios_clear)
    router.add_delete("/scenarios/{rule_id}", scenario_remove)
    router.add_post("/verify", verify_calls)
