"""Admin: fault-injection rules and the scenario catalogue, and verification against the journal."""

from __future__ import annotations

from aiohttp import web

from mockserver.admin.access import scope_of
from mockserver.admin.common import (
    AdminError,
    check_keys,
    check_operation,
    check_provider,
    json_body,
    reply,
    runtime_of,
)
from mockserver.core.services.scenarios import ACTION_KEYS, ScenarioError
from mockserver.core.services.verify import verify

RULE_KEYS = (
    "provider", "operation", "tenant", "method", "path", "match", "times", "probability", "scenario",
    *ACTION_KEYS,
)  # fmt: skip
VERIFY_KEYS = (
    "provider", "operation", "tenant", "method", "path", "status", "scenario", "query", "body",
    "times", "at_least", "at_most",
)  # fmt: skip


async def scenarios_list(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    scope = scope_of(request)
    return reply(
        {
            "rules": [r.as_json() for r in runtime.scenarios.rules if scope.owns(r.provider, r.tenant)],
            "catalogues": {
                name: runtime.scenarios.catalogue(name)
                for name in runtime.providers
                if scope.whole or name == scope.provider
            },
        }
    )


async def scenarios_add(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    body = await json_body(request)
    check_keys(body, RULE_KEYS, "rule field")
    scope = scope_of(request)
    body["provider"], tenant = scope.narrow(body.get("provider"), body.get("tenant"))
    check_provider(runtime, body.get("provider"))
    if isinstance(tenant, str):  # a key or its label: rules name the sandbox as the pipeline does
        body["tenant"] = runtime.providers[body["provider"]].tenant_name(tenant)
    check_operation(runtime, body.get("provider"), body.get("operation"))
    try:
        rule = runtime.scenarios.add(body)
    except ScenarioError as error:
        raise AdminError(str(error)) from None
    return reply(rule.as_json(), 201)


async def scenarios_clear(request: web.Request) -> web.Response:
    runtime = runtime_of(request)
    check_keys(request.query, ("provider",), "filter")
    provider, tenant = scope_of(request).narrow(request.query.get("provider"), None)
    check_provider(runtime, provider, required=False)
    return reply({"removed": runtime.scenarios.remove(provider=provider, tenant=tenant)})


async def scenario_remove(request: web.Request) -> web.Response:
    scope = scope_of(request)
    removed = runtime_of(request).scenarios.remove(
        rule_id=request.match_info["rule_id"], provider=scope.provider, tenant=scope.tenant
    )
    if not removed:
        return reply({"error": f"no rule {request.match_info['rule_id']}"}, 404)
    return reply({"removed": removed})


async def verify_calls(request: web.Request) -> web.Response:
    """200 when the journal holds the calls described, 422 with a near-miss report when it does not."""
    body = await json_body(request)
    check_keys(body, VERIFY_KEYS, "verify field")
    runtime = runtime_of(request)
    scope = scope_of(request)
    if not scope.whole:
        body["provider"], body["tenant"] = scope.narrow(body.get("provider"), body.get("tenant"))
    check_provider(runtime, body.get("provider"), required=False)
    check_operation(runtime, body.get("provider"), body.get("operation"))
    for key in ("times", "at_least", "at_most"):
        if key in body and (not isinstance(body[key], int) or body[key] < 0):
            raise AdminError(f"{key} must be a non-negative integer")
    result = verify(runtime.journal, body)
    return reply(result, 200 if result["ok"] else 422)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/scenarios", scenarios_list)
    router.add_post("/scenarios", scenarios_add)
    router.add_delete("/scenarios", scenarios_clear)
    router.add_delete("/scenarios/{rule_id}", scenario_remove)
    router.add_post("/verify", verify_calls)
