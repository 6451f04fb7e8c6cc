"""The provider's own rate limits, before authentication: providers count failed authentications too
(Hacienda's sandbox allows 5 unauthorized POSTs a minute). On the chains of providers that have any.
A sandbox on a test clock counts its windows on that clock."""

from __future__ import annotations

from aiohttp import web

from mockserver.core.errors import Kind, MockError, status_of
from mockserver.core.pipeline.call import Call, Next
from mockserver.core.plugin import Limits
from mockserver.core.services.ratelimit import Bucket, Exceeded


async def rate_limit(call: Call, next: Next) -> web.StreamResponse:
    # the tenant only keys the counters, and only once its credential verifies: an unverified claim
    # (a forged JWT's `sub`) would spend its victim's budget; without one a request counts by address.
    # With limits off nothing counts, so nothing is verified here.
    pr = call.provider
    tenant = await _verified_tenant(call) if pr.limiter.enabled else None
    clocks = call.runtime.testclocks
    if not clocks.attached:
        return await _limited(call, next, tenant)
    if tenant is not None:
        sandbox: str | None = tenant if call.replaying else pr.sandbox_of(tenant)
    else:  # limits off, only the headers read the time; on, an address's window is the mock's
        sandbox = None if pr.limiter.enabled else call.claimed_sandbox()
    with clocks.entered(pr.name, sandbox):
        return await _limited(call, next, tenant)


async def _limited(call: Call, next: Next, tenant: str | None) -> web.StreamResponse:
    request, pr = call.request, call.provider
    policy, limiter = pr.provider.rate_limits, pr.limiter
    assert policy is not None
    limits = policy.before(request, call.op, tenant)
    if limits is None:
        return await next(call)
    if not limiter.enabled:
        # nothing is counted, but clients that read the headers still find them: a full budget
        shown = limits.shown or _first_bucket(limits)
        if shown is not None and limits.headers:
            full = limiter.limit_of(shown)
            call.extra_headers.update(policy.headers(full, full, limiter.window_end(shown)))
        return await next(call)
    try:
        usage = limiter.admit(limits.key, limits.guard, limits.charge, shown=limits.shown)
    except Exceeded as exceeded:
        u = exceeded.usage
        if limits.headers:
            call.extra_headers.update(policy.headers(limiter.limit_of(u.bucket), 0, u.reset))
        raise MockError(
            Kind.RATE_LIMITED, "Too many requests", headers={"Retry-After": str(exceeded.retry_after)}
        ) from None
    if usage is not None and limits.headers:
        call.extra_headers.update(
            policy.headers(limiter.limit_of(usage.bucket), usage.remaining, usage.reset)
        )
    status = 500
    try:
        response = await next(call)
        status = response.status
        return response
    except MockError as error:
        status = status_of(error)
        raise
    finally:
        limiter.charge(limits.key, policy.after(request, call.op, status))


async def _verified_tenant(call: Call) -> str | None:
    auth, op = call.provider.provider.auth, call.op
    if call.replay_tenant:
        return call.replay_tenant
    if auth is None or op is None or not op.secured:
        return None
    try:
        call.verified = await auth.authenticate(call.request, op)
    except MockError:
        return None  # the authenticate step answers it, in its turn
    return call.verified.tenant


def _first_bucket(limits: Limits) -> Bucket | None:
    return next(iter((*limits.charge, *limits.guard)), None)
