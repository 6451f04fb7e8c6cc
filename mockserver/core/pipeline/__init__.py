"""The request pipeline: the entry middleware (`mockserver.core.dispatch`) builds each request's `Call`
once, then runs the chain of steps compiled for its route at start-up, so an operation never pays for
a step it does not need.

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

from aiohttp import web

from mockserver.core.persistence import READS
from mockserver.core.pipeline.auth import authenticate
from mockserver.core.pipeline.body import body
from mockserver.core.pipeline.call import CALL, AiohttpHandler, Call, Exchange, Next, Route, Step
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
from mockserver.core.runtime import ProviderRuntime
from mockserver.core.specs import Operation

__all__ = [
    "CALL",
    "VIOLATIONS",
    "AiohttpHandler",
    "Call",
    "Exchange",
    "Route",
    "aiohttp_handler",
    "record",
    "route_for",
]

# the answers that broke the spec, in strict mode (tests fail on any): the runtime's list
VIOLATIONS = web.AppKey("violations", list)


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


async def aiohttp_handler(call: Exchange) -> web.StreamResponse:
    """The end of a chain whose answer comes from aiohttp's own route (the control plane, a 404)."""
    return await call.handler(call.request)
