"""`GET /__admin/coverage`: what a sandbox's traffic reached of what each provider's spec documents."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.admin.access import scope_of
from mockserver.admin.common import AdminError, check_keys, check_provider, reply, runtime_of
from mockserver.core.plugin import Unsupported
from mockserver.core.runtime import ProviderRuntime
from mockserver.core.services import coverage

FILTERS = ("provider", "tenant", "format")


def documented(pr: ProviderRuntime) -> dict[str, list[int]]:
    """Each served operation of the provider's spec and the statuses it documents."""
    return {
        op.id: [int(status) for status in op.responses if status.isdigit()]
        for op in pr.spec.operations.values()
        if not isinstance(pr.provider.operations.get(op.id), Unsupported)
    }


def reports(request: web.Request, provider: str | None, tenant: str | None) -> list[dict[str, Any]]:
    runtime = runtime_of(request)
    out = []
    for pr in runtime.providers.values():
        if provider not in (None, pr.name):
            continue
        sandbox = pr.tenant_name(tenant) if tenant else None
        reached = runtime.coverage.reached(pr.name, sandbox)
        catalogue = runtime.scenarios.catalogue(pr.name)
        out.append(coverage.report(pr.name, sandbox, reached, documented(pr), catalogue))
    return out


async def coverage_report(request: web.Request) -> web.StreamResponse:
    q = request.query
    check_keys(q, FILTERS, "coverage filter")
    check_provider(runtime_of(request), q.get("provider"), required=False)
    if q.get("format", "json") not in ("json", "table"):
        raise AdminError("format must be json or table")
    provider, tenant = scope_of(request).narrow(q.get("provider"), q.get("tenant"))
    found = reports(request, provider, tenant)
    if q.get("format") == "table":
        return web.Response(text=coverage.table(found), content_type="text/plain")
    return reply({"reports": found})


async def coverage_clear(request: web.Request) -> web.StreamResponse:
    """Forget what the traffic reached (a reset keeps it: coverage is of a whole test run)."""
    q = request.query
    check_keys(q, ("provider", "tenant"), "coverage filter")
    check_provider(runtime_of(request), q.get("provider"), required=False)
    provider, tenant = scope_of(request).narrow(q.get("provider"), q.get("tenant"))
    runtime = runtime_of(request)
    if tenant is not None:
        tenant = runtime.providers[provider].tenant_name(tenant) if provider else tenant
    runtime.coverage.clear(provider, tenant)
    return reply({"cleared": {"provider": provider or "*", "tenant": tenant or "*"}})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/coverage", coverage_report)
    router.add_delete("/coverage", coverage_clear)
