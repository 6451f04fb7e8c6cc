"""Who is calling: the provider's authenticator turns the credential into the sandbox it opens.
On the chains of secured operations only; a replayed write names its sandbox instead."""

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
    return await next(call)
