"""Builds each provider's routing table from its spec: one route per operation and prefix, each with its
pipeline chain compiled once, here (see `dispatch` for how a request finds its route)."""

from __future__ import annotations

import re

from aiohttp import web

from mockserver.core.dispatch import Table, Target
from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call, aiohttp_handler, route_for
from mockserver.core.plugin import Handler, Unsupported
from mockserver.core.runtime import ProviderRuntime


def unsupported(reason: Unsupported) -> Handler:
    async def answer(call: Call) -> web.StreamResponse:
        raise MockError(Kind.UNSUPPORTED, f"Not implemented by the mock: {reason.reason}")

    return answer


def build_provider_table(pr: ProviderRuntime, prefix: str) -> Table:
    """`prefix` is the mount ("/hacienda"), or "" for the provider's real hosts and its own port."""
    table = Table(prefix, route_for(pr, prefix, None, aiohttp_handler))
    routes = [(path, op) for op in pr.spec.operations.values() for path in op.routes]
    # tried in this order within one part of the URL: literal paths before parameterised ones (count.json
    # before {id}.json), and the longer literal tail first ({token}.pdf before {token})
    routes.sort(key=lambda item: (item[0].count("{"), -len(re.sub(r"{[^}]*}", "", item[0]))))
    seen: set[tuple[str, str]] = set()
    for path, op in routes:
        declared = pr.provider.operations[op.id]
        route = route_for(
            pr, prefix, op, unsupported(declared) if isinstance(declared, Unsupported) else declared
        )
        # clients of these APIs add or drop a trailing slash freely
        for variant in {path.rstrip("/") or "/", path.rstrip("/") + "/"}:
            if (op.method, variant) not in seen:  # the first operation to claim a path keeps it
                seen.add((op.method, variant))
                table.add(op.method, variant, Target(route, _unreachable))

    async def spec_json(request: web.Request) -> web.Response:
        return web.Response(body=pr.spec.as_json, content_type="application/json")

    async def spec_yaml(request: web.Request) -> web.Response:
        return web.Response(body=pr.spec.as_yaml, content_type="application/yaml")

    served = route_for(pr, prefix, None, aiohttp_handler, journaled=False)
    files = [("/openapi.json", Target(served, spec_json)), ("/openapi.yaml", Target(served, spec_yaml))]
    files += [(alias, Target(table.fallback, spec_yaml)) for alias in pr.provider.spec_aliases]
    for path, target in files:
        for method in ("GET", "HEAD"):  # as aiohttp's add_get
            table.add(method, path, target)
    return table


async def _unreachable(request: web.Request) -> web.StreamResponse:
    """What an operation's route would hand to aiohttp: its chain ends in the provider's handler."""
    raise RuntimeError("a provider's operations are answered by their chains")
