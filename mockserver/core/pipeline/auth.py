"""Who is calling: the provider's authenticator turns the credential into the sandbox it opens.
On the chains of secured operations only; a replayed write names its sandbox instead. What runs after
it for a sandbox attached to a test clock reads that clock."""

from __future__ import annotations

from aiohttp import web

from mockserver.core.pipeline.call import Call, Next
from mockserver.core.plugin import Principal


async def authenticate(call: Call, next: Next) -> web.StreamResponse:
    op, pr = call.op, call.provider
    assert op is not None
    auth = pr.provider.auth
    if call.replay_tenant:  # the write log names the sandbox itself (only a replay can set this)
        call.principal = Principal(call.replay_tenant, op.scopes)
    elif auth is not None:
        principal = call.verified or await auth.authenticate(call.request, op)
        tenant = pr.sandbox_of(principal.tenant)
        call.principal = (
            principal if tenant == principal.tenant else Principal(tenant, principal.scopes, principal.claims)
        )
    if call.principal is None or not call.runtime.testclocks.attached:
        return await next(call)
    with call.runtime.testclocks.entered(pr.name, call.principal.tenant):  # its time: its test clock's
        return await next(call)
