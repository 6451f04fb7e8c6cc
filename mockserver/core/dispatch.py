"""Where a provider request goes: its provider (by the Host it names, or by the mount its path starts
with), then its route, by the same rules aiohttp's router applies, without its machinery.

aiohttp routed a provider request through a sub-application per mount and per real host, each with
a resource per route and method: a GET tried every real host's rule and walked two routers, an await
per resource, before its chain began (a seventh of its time), and start-up registered 1,400 routes.
Here each provider has one table per mount it is served under, made at start: a resource per path
(literal, or aiohttp's regular expression for a parameterised one), filed and tried in the order
aiohttp's router would try them (the URL's parts from the longest, registration order within one).
What it answers is aiohttp's: the same route, the same path parameters, a 405 naming the same
methods, a 404 otherwise. The control plane and the mock's home page are still aiohttp's routes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import hdrs, web

from mockserver.core.pipeline import CALL, AiohttpHandler, Call, Exchange, Route, aiohttp_handler, record
from mockserver.core.plugin import Listing
from mockserver.core.runtime import RUNTIME

COMPRESSED_LIMIT = 2 * 1024 * 1024  # bytes a compressed request body may inflate to

PARAMETER = re.compile(r"\{(?P<var>[_a-zA-Z][_a-zA-Z0-9]*)\}")
SEGMENT = r"[^{}/]+"  # aiohttp's match for `{name}`
REMEMBERED = 1024  # (method, path) pairs a table keeps the resolution of; past it, it starts again
REMEMBERED_PATH = 256  # the longest path it keeps one for (a flood of long random paths stays small)


@dataclass(frozen=True)
class Target:
    """A route and what its chain ends in when it ends in aiohttp (a served spec, a 404 or a 405)."""

    route: Route
    handler: AiohttpHandler


class _Resource:
    """A path and its methods' targets; a parameterised path's expression is compiled when it is first
    tried (compiling all of them was most of start-up's routing)."""

    __slots__ = ("_pattern", "methods", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.methods: dict[str, Target] = {}
        self._pattern: re.Pattern[str] | str | None = _expression(path)  # None: a literal path

    def match(self, path: str) -> dict[str, str] | None:
        pattern = self._pattern
        if pattern is None:
            return {} if path == self.path else None
        if isinstance(pattern, str):
            pattern = self._pattern = re.compile(pattern)
        found = pattern.fullmatch(path)
        if found is None:
            return None
        # as aiohttp's router unquotes a parameter
        return {k: v.replace("%2F", "/").replace("%25", "%") for k, v in found.groupdict().items()}


def _index_key(path: str) -> str:
    """The part of the path aiohttp's router files a resource under."""
    if "{" in path:
        path = path.partition("{")[0].rpartition("/")[0]
    return path.rstrip("/") or "/"


def _expression(path: str) -> str | None:
    """aiohttp's expression for a parameterised path: each `{name}` one segment, the rest literal."""
    if "{" not in path:
        return None
    parts = PARAMETER.split(path)  # literal, name, literal, …, literal
    literals, names = parts[0::2], parts[1::2]
    if any("{" in literal or "}" in literal for literal in literals):
        raise ValueError(f"a path parameter the mock cannot route: {path}")
    pairs = zip(names, literals[1:], strict=True)
    tail = "".join(f"(?P<{name}>{SEGMENT}){re.escape(literal)}" for name, literal in pairs)
    return re.escape(literals[0]) + tail


class Table:
    """One provider's paths under one mount (`prefix`, or "" at its real hosts and on its own port)."""

    def __init__(self, prefix: str, fallback: Route) -> None:
        self.prefix = prefix
        self.fallback = fallback  # the paths no operation has: a 404 or 405 in the provider's envelope
        self.added: list[tuple[str, str, Target]] = []  # (method, path, target), in the order added
        self._resources: list[_Resource] = []
        self._index: dict[str, list[_Resource]] = {}
        self._resolved: dict[tuple[str, str], tuple[Target, Mapping[str, str]]] = {}

    def routes(self) -> Iterator[tuple[str, str, Route]]:
        """(method, path with the prefix, route) for every path and method added."""
        for method, path, target in self.added:
            yield method, self.prefix + path, target.route

    def add(self, method: str, path: str, target: Target) -> None:
        """As aiohttp's `add_route`: the same path added right after is the same resource, else a new
        one (tried after the first); a method a resource already has keeps its first route."""
        if self._resources and self._resources[-1].path == path:
            resource = self._resources[-1]
        else:
            resource = _Resource(path)
            self._resources.append(resource)
            self._index.setdefault(_index_key(path), []).append(resource)
        resource.methods.setdefault(method, target)
        self.added.append((method, path, target))
        self._resolved.clear()

    def resolve(self, method: str, path: str) -> tuple[Target, Mapping[str, str]]:
        """The target and path parameters of a request, remembered for the paths asked for again (a
        client reading the same resource): what is remembered is only ever read, never changed."""
        key = (method, path)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolve(method, path)
            if len(path) <= REMEMBERED_PATH:
                if len(self._resolved) >= REMEMBERED:
                    self._resolved.clear()
                self._resolved[key] = found
        return found

    def _resolve(self, method: str, path: str) -> tuple[Target, Mapping[str, str]]:
        allowed: set[str] = set()
        part = path
        while part:
            for resource in self._index.get(part, ()):
                params = resource.match(path)
                if params is None:
                    continue
                target = resource.methods.get(method)
                if target is not None:
                    return target, params
                allowed.update(resource.methods)
            if part == "/":
                break
            part = part.rpartition("/")[0] or "/"
        if allowed:
            return Target(self.fallback, _refuse(web.HTTPMethodNotAllowed, method, allowed)), {}
        return Target(self.fallback, _refuse(web.HTTPNotFound)), {}


def _refuse(error: type[web.HTTPException], *args: Any) -> AiohttpHandler:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise error(*args)  # a new one each time: an exception raised again keeps its old traceback

    return handler


class Dispatcher:
    """Every provider's tables: by real host (the provider's own URL space), by mount, or one table for
    every path (a provider alone on its own port). The control plane (`/__admin/…`) is never theirs."""

    def __init__(self, everything: Table | None = None) -> None:
        self.everything = everything
        self.hosts: dict[str, Table] = {}
        self.mounts: dict[str, Table] = {}
        # a provider not built yet, by its mount and each of its hosts: its listing and its tables' maker
        self._deferred: dict[str, tuple[Listing, Callable[[], tuple[Table, Table | None]]]] = {}

    def defer(self, listing: Listing, make: Callable[[], tuple[Table, Table | None]]) -> None:
        """Route to a provider whose tables `make` builds (at its mount, at its hosts), the first time a
        request is for it."""
        for key in (listing.mount, *(host.lower() for host in listing.hosts)):
            self._deferred[key] = (listing, make)

    def _made(self, key: str) -> bool:
        """Build the deferred provider `key` (a mount or host) names; whether there was one."""
        found = self._deferred.get(key)
        if found is None:
            return False
        listing, make = found
        for name in (listing.mount, *(host.lower() for host in listing.hosts)):
            del self._deferred[name]
        mount, own = make()
        self.mounts[listing.mount] = mount
        if own is not None:
            self.hosts.update({host.lower(): own for host in listing.hosts})
        return True

    def table_for(self, request: web.BaseRequest) -> tuple[Table, str] | None:
        """The table a request is for and its path within it; None for the control plane and the rest."""
        if request.path.startswith(ADMIN):
            return None
        path = request.rel_url.path_safe
        if self.everything is not None:
            return self.everything, path
        host = request.headers.get("Host")
        if host and (self.hosts or self._deferred):
            host = host.lower()  # as aiohttp matches a domain: with or without the request's port
            name = host.partition(":")[0]
            table = self.hosts.get(host) or self.hosts.get(name)
            if table is None and self._deferred and (self._made(host) or self._made(name)):
                table = self.hosts.get(host) or self.hosts.get(name)
            if table is not None:
                return table, path
        end = path.find("/", 1)
        mount = path if end < 0 else path[:end]
        table = self.mounts.get(mount)
        if table is None and self._deferred and self._made(mount):
            table = self.mounts.get(mount)
        return (table, path[len(table.prefix) :]) if table is not None else None

    def tables(self) -> Iterator[Table]:
        """Every table, the deferred providers' built now."""
        while self._deferred:
            self._made(next(iter(self._deferred)))
        every = (self.everything, *self.hosts.values(), *self.mounts.values())
        yield from {id(table): table for table in every if table is not None}.values()


ADMIN = "/__admin/"
# where an app's provider requests go
DISPATCH = web.AppKey("dispatch", Dispatcher)


@web.middleware
async def entry(request: web.Request, handler: AiohttpHandler) -> web.StreamResponse:
    """The only middleware, for what aiohttp's router answers (the control plane, the home page, a
    provider request that asks `Expect: 100-continue`): a provider's request goes on to its chain, the
    rest get only the write log."""
    request = _bounded(request)
    found = request.app[DISPATCH].table_for(request)
    if found is None:
        runtime = request.config_dict[RUNTIME]
        return await record(Exchange(request=request, runtime=runtime, handler=handler), aiohttp_handler)
    return await _serve(request, *found)


def serve_ahead(app: web.Application) -> None:
    """Answer provider requests ahead of aiohttp's application: its router would resolve them to a
    catch-all only to reach `entry` through its middleware wrappers (a twelfth of a GET). Requests the
    dispatcher does not take, and those that ask `Expect: 100-continue` (aiohttp's route answers the
    expectation), go through the application as before; so would every request if aiohttp stopped
    serving through `Application._handle`."""
    through_app = app._handle
    dispatcher = app[DISPATCH]

    async def handle(request: web.Request) -> web.StreamResponse:
        if hdrs.EXPECT not in request.headers:
            found = dispatcher.table_for(request)
            if found is not None:
                return await _serve(_bounded(request), *found)
        return await through_app(request)

    # what aiohttp's server calls for each request; set in the instance's own dictionary (aiohttp's debug
    # mode warns about any attribute set on an application the plain way)
    vars(app)["_handle"] = handle


async def _serve(request: web.Request, table: Table, path: str) -> web.StreamResponse:
    """A provider request: the `Call` is made here, once, and the route's chain runs it."""
    target, params = table.resolve(request.method, path)
    route = target.route
    pr = route.provider
    call = Call(
        request=request,
        runtime=pr.runtime,
        handler=target.handler,
        prefix=route.prefix,
        provider=pr,
        op=route.op,
        params=params,
    )
    header = pr.provider.correlation_header
    if header:
        call.correlation_id = request.headers.get(header) or call.trace_id
        call.extra_headers[header] = call.correlation_id
    request[CALL] = call
    try:
        return await route.run(call)
    finally:
        # the request and its call refer to each other: parted here, both are freed as the answer
        # goes out, not at the next collection of cycles (a pause of tens of ms at a few thousand)
        del request[CALL]


def _bounded(request: web.Request) -> web.Request:
    """A compressed body may inflate to COMPRESSED_LIMIT at most: aiohttp inflates in chunks as large as
    the body may be, so a 1 MB gzip bomb would cost tens of MB."""
    if request.headers.get("Content-Encoding", "identity").lower() in ("identity", ""):
        return request
    return request.clone(client_max_size=min(request.client_max_size, COMPRESSED_LIMIT))
