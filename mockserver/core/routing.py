"""Builds each provider's aiohttp application from its spec: one route per operation and prefix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Middleware

from mockserver.core.errors import Kind, MockError
from mockserver.core.middlewares import MIDDLEWARES
from mockserver.core.pipeline import PREFIX, PROVIDER, VIOLATIONS, Call, endpoint
from mockserver.core.plugin import Handler, Unsupported

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime


def unsupported(reason: Unsupported) -> Handler:
    async def answer(call: Call) -> web.StreamResponse:
        raise MockError(Kind.UNSUPPORTED, f"Not implemented by the mock: {reason.reason}")

    return answer


def build_provider_app(
    pr: ProviderRuntime, prefix: str, violations: list[str], outer: Sequence[Middleware] = ()
) -> web.Application:
    """`prefix` is the mount ("/hacienda") or "" for an app reached through the provider's real host;
    `outer` middlewares wrap the pipeline when the app stands alone on its own port."""
    app = web.Application(
        middlewares=[*outer, *MIDDLEWARES], client_max_size=pr.runtime.settings.max_body_bytes
    )
    app[PROVIDER] = pr
    app[PREFIX] = prefix
    app[VIOLATIONS] = violations
    seen: set[tuple[str, str]] = set()
    routes = [(path, op) for op in pr.spec.operations.values() for path in op.routes]
    # aiohttp tries routes in order: literal paths before parameterised ones (count.json before {id}.json),
    # and the longer literal tail first ({token}.pdf before {token})
    routes.sort(key=lambda item: (item[0].count("{"), -len(re.sub(r"{[^}]*}", "", item[0]))))
    for path, op in routes:
        entry = pr.provider.operations[op.id]
        handle = endpoint(op, unsupported(entry) if isinstance(entry, Unsupported) else entry)
        # clients of these APIs add or drop a trailing slash freely
        for variant in {path.rstrip("/") or "/", path.rstrip("/") + "/"}:
            if (op.method, variant) not in seen:
                seen.add((op.method, variant))
                app.router.add_route(op.method, variant, handle)

    async def spec_json(request: web.Request) -> web.Response:
        return web.Response(body=pr.spec.as_json, content_type="application/json")

    async def spec_yaml(request: web.Request) -> web.Response:
        return web.Response(body=pr.spec.as_yaml, content_type="application/yaml")

    app.router.add_get("/openapi.json", spec_json)
    app.router.add_get("/openapi.yaml", spec_yaml)
    for alias in pr.provider.spec_aliases:
        app.router.add_get(alias, spec_yaml)
    return app
