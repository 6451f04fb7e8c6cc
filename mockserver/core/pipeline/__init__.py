"""The request pipeline: one aiohttp middleware builds each request's `Call` once, then runs the chain
of steps compiled for its route at start-up, so an operation never pays for a step it does not need.

The steps, outermost first, and which chains carry them:

    record        every request, the control plane's too: the write log, and the ids' reseeding
    due           run the timers whose time has come, so a read sees every transition
    journal       the request journal and access log (not the served specs)
    strict        check the answer against the spec (with --strict)
    envelope      render any error in the provider's envelope
    body          read and decode the body once (operations that take one)
    scenarios     X-Mock-Scenario and fault rules, inside the envelope so faults wear the provider's shape
    rate_limit    the provider's limits, before auth: providers count failed authentications (if it has any,
                  and they count or show headers)
    authenticate  the credential → the sandbox (secured operations)
    validate      parameters and body against the spec (operations)
    idempotency   replay or refuse a reused key (operations whose spec asks for it)
    commit        the write log takes the write before its handler runs (operations that write)
    handler

A step is a plain `async def step(call, next)`; the list below is the one place that orders them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from mockserver.core.persistence import READS
from mockserver.core.pipeline.auth import authenticate
from mockserver.core.pipeline.body import body
from mockserver.core.pipeline.call import CALL, PREFIX, PROVIDER, AiohttpHandler, Call, Exchange, Next, Step
from mockserver.core.pipeline.commit import commit
from mockserver.core.pipeline.due import due
from mockserver.core.pipeline.envelope import envelope
from mockserver.core.pipeline.idempotency import idempotency
from mockserver.core.pipeline.journal import journal
from mockserver.core.pipeline.ratelimit import rate_limit
from mockserver.core.pipeline.record import record
from mockserver.core.pipeline.scenarios import scenarios
from mockserver.core.pipeline.strict import strict
from mockserver.core.pipeline.validate import validate
from mockserver.core.runtime import RUNTIME, ProviderRuntime
from mockserver.core.specs import Operation

__all__ = [
    "CALL",
    "FALLBACK",
    "PREFIX",
    "PROVIDER",
    "VIOLATIONS",
    "AiohttpHandler",
    "Call",
    "Exchange",
    "Route",
    "entry",
    "route_for",
]

ADMIN_PREFIX = "/__admin"
COMPRESSED_LIMIT = 2 * 1024 * 1024  # bytes a compressed request body may inflate to
ROUTE_ATTR = "mockserver_route"
# the answers that broke the spec, in strict mode (tests fail on any): the runtime's list
VIOLATIONS = web.AppKey("violations", list)


@dataclass(frozen=True)
class Route:
    """One provider route's compiled chain: an operation's, or the provider's other paths (the specs it
    serves, a 404 or 405 in its envelope)."""

    provider: ProviderRuntime
    prefix: str
    op: Operation | None
    run: Next
    steps: tuple[str, ...]  # the names of the steps on its chain, outermost first


Wanted = Callable[[ProviderRuntime, Operation | None], bool]
STEPS: tuple[tuple[Step, Wanted], ...] = (
    (record, lambda pr, op: True),
    (due, lambda pr, op: True),
    (journal, lambda pr, op: True),
    (strict, lambda pr, op: op is not None and pr.runtime.settings.strict),
    (envelope, lambda pr, op: True),
    (body, lambda pr, op: op is not None and bool(op.bodies)),
    (scenarios, lambda pr, op: True),
    (rate_limit, lambda pr, op: _limits_apply(pr)),
    (authenticate, lambda pr, op: op is not None and op.secured),
    (validate, lambda pr, op: op is not None),
    (idempotency, lambda pr, op: op is not None and bool(op.extensions.get("x-mock-idempotency"))),
    (commit, lambda pr, op: op is not None and op.method not in READS),
)


def _limits_apply(pr: ProviderRuntime) -> bool:
    """Whether the limits step has anything to do: counting, or headers that show a full budget."""
    policy = pr.provider.rate_limits
    return policy is not None and (pr.limiter.enabled or policy.shows_headers)


def route_for(
    pr: ProviderRuntime,
    prefix: str,
    op: Operation | None,
    last: Next,
    *,
    journaled: bool = True,
) -> Route:
    """Compile the chain of the steps this route needs, ending in `last`."""
    chosen = [s for s, wanted in STEPS if wanted(pr, op) and (journaled or s is not journal)]
    run = last
    for step in reversed(chosen):
        # a partial, not a wrapper coroutine: each step costs one coroutine frame, not two
        run = functools.partial(step, next=run)
    return Route(pr, prefix, op, run, tuple(s.__name__ for s in chosen))


def attach(handler: AiohttpHandler, route: Route) -> AiohttpHandler:
    setattr(handler, ROUTE_ATTR, route)
    return handler


async def aiohttp_handler(call: Exchange) -> web.StreamResponse:
    """The end of a chain whose answer comes from aiohttp's own route (the control plane, a 404)."""
    return await call.handler(call.request)


# a provider app's route for the paths none of its operations has (a 404 or 405 in its envelope)
FALLBACK = web.AppKey("fallback", Route)


def _route(request: web.Request) -> Route | None:
    if request.path.startswith(ADMIN_PREFIX + "/"):
        return None
    info = request.match_info
    try:
        route = getattr(info.handler, ROUTE_ATTR, None)
    except Exception:  # aiohttp raises the routing error (404/405) here
        route = None
    if isinstance(route, Route):
        return route
    for app in reversed(info.apps):
        if FALLBACK in app:
            return app[FALLBACK]
    return None


@web.middleware
async def entry(request: web.Request, handler: AiohttpHandler) -> web.StreamResponse:
    """The only middleware: the `Call` is made here, once, and the route's chain runs it."""
    if request.headers.get("Content-Encoding", "identity").lower() not in ("identity", ""):
        # aiohttp inflates in chunks as large as the body may be: a 1 MB gzip bomb would cost tens of MB
        request = request.clone(client_max_size=min(request.client_max_size, COMPRESSED_LIMIT))
    route = _route(request)
    if route is None:  # the control plane, or a path no provider serves: only the write log applies
        runtime = request.config_dict[RUNTIME]
        return await record(Exchange(request=request, runtime=runtime, handler=handler), aiohttp_handler)
    pr = route.provider
    call = Call(
        request=request, runtime=pr.runtime, handler=handler, prefix=route.prefix, provider=pr, op=route.op
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
