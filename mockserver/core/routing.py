"""Builds each provider's aiohttp application from its spec: one route per operation and prefix, each
with its pipeline chain compiled once, here."""

from __future__ import annotations

import re

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import (
    FALLBACK,
    PREFIX,
    PROVIDER,
    AiohttpHandler,
    Call,
    aiohttp_handler,
    attach,
    entry,
    route_for,
)
from mockserver.core.plugin import Handler, Unsupported
from mockserver.core.runtime import ProviderRuntime


def unsupported(reason: Unsupported) -> Handler:
    async def answer(call: Call) -> web.StreamResponse:
        raise MockError(Kind.UNSUPPORTED, f"Not implemented by the mock: {reason.reason}")

    return answer


def build_provider_app(pr: ProviderRuntime, prefix: str, *, root: bool = False) -> web.Application:
    """`prefix` is the mount ("/hacienda") or "" for an app reached through the provider's real host
    or alone on its own port (`root`: the app served itself, so it runs `pipeline.entry`; otherwise
    the app that holds it does)."""
    app = web.Application(
        client_max_size=pr.runtime.settings.max_body_bytes, middlewares=[entry] if root else []
    )
    app[PROVIDER] = pr
    app[PREFIX] = prefix
    app[FALLBACK] = route_for(pr, prefix, None, aiohttp_handler)
    seen: set[tuple[str, str]] = set()
    routes = [(path, op) for op in pr.spec.operations.values() for path in op.routes]
    # aiohttp tries routes in order: literal paths before parameterised ones (count.json before {id}.json),
    # and the longer literal tail first ({token}.pdf before {token})
    routes.sort(key=lambda item: (item[0].count("{"), -len(re.sub(r"{[^}]*}", "", item[0]))))
    for path, op in routes:
        declared = pr.provider.operations[op.id]
        route = route_for(
            pr, prefix, op, unsupported(declared) if isinstance(declared, Unsupported) else declared
        )
        # clients of these APIs add or drop a trailing slash freely
        for variant in {path.rstrip("/") or "/", path.rstrip("/") + "/"}:
            if (op.method, variant) not in seen:
                seen.add((op.method, variant))
                # one aiohttp handler per route: it carries the route for the entry middleware
                app.router.add_route(op.method, variant, attach(_handler(), route))

    async def spec_json(request: web.Request) -> web.Response:
        return web.Response(body=pr.spec.as_json, content_type="application/json")

    async def spec_yaml(request: web.Request) -> web.Response:
        return web.Response(body=pr.spec.as_yaml, content_type="application/yaml")

    served = route_for(pr, prefix, None, aiohttp_handler, journaled=False)
    app.router.add_get("/openapi.json", attach(spec_json, served))
    app.router.add_get("/openapi.yaml", attach(spec_yaml, served))
    for alias in pr.provider.spec_aliases:
        app.router.add_get(alias, spec_yaml)
    return app


def _handler() -> AiohttpHandler:
    """A route's own aiohttp handler (one per route: it carries the route); `pipeline.entry` runs
    the route's chain in its place."""

    async def handle(request: web.Request) -> web.StreamResponse:
        raise RuntimeError("a provider's routes are served through mockserver.core.pipeline.entry")

    return handle
