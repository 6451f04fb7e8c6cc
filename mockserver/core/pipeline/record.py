"""The write log: every write is committed, with the mock time it ran at, before its answer is sent.

Outermost on every chain, the control plane's included: it also reseeds the ids for the request (from
the write log's token on a replay), so a replayed request draws the same ids as the original did.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from mockserver.core import formats
from mockserver.core.persistence import (
    NOT_RECORDED,
    READS,
    REPLAY,
    REPLAY_BASE_HEADER,
    TENANT_HEADER,
)
from mockserver.core.pipeline.call import ADMIN_SCOPE, REPLAYED, Exchange
from mockserver.core.services.masking import SECRET_HEADERS, scrub_basic, scrub_target
from mockserver.core.services.store import Write

log = logging.getLogger("mockserver.persistence")
ADMIN_RESET = "/__admin/reset"
REPLAY_HEADERS = frozenset(h.lower() for h in (REPLAY, REPLAY_BASE_HEADER, TENANT_HEADER))
E = TypeVar("E", bound=Exchange)


async def record(ex: E, next: Callable[[E], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    runtime, request = ex.runtime, ex.request
    replay = request.headers.get(REPLAY)
    if replay is not None:
        token, _, secret = replay.partition(" ")
        if secret != runtime.replay_secret:
            raise web.HTTPForbidden(text="bad replay credential")
        runtime.ids.reseed(token)
        mine = (REPLAY, REPLAY_BASE_HEADER, TENANT_HEADER)
        ex.request = request.clone(headers={k: v for k, v in request.headers.items() if k not in mine})
        ex.replay_base = request.headers.get(REPLAY_BASE_HEADER, "")
        ex.replay_tenant = request.headers.get(TENANT_HEADER, "")
        ex.request[REPLAYED] = ex.replay_tenant  # the control plane takes its sandbox from here
        return await next(ex)
    if runtime.snapshots is None:
        return await _record(ex, next)
    if _fits(request):
        await ex.read()  # a slow upload is read before it counts as under way: it never holds a snapshot
    await runtime.snapshots.admit()
    try:
        return await _record(ex, next)
    finally:
        runtime.snapshots.done()


async def _record(ex: E, next: Callable[[E], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    runtime, request = ex.runtime, ex.request
    ex.token = runtime.next_token()
    runtime.ids.reseed(ex.token)
    ex.at, polls = runtime.clock.own_now(), runtime.lifecycles.polls  # the mock's own time
    response = await next(ex)
    if ex.committed or (request.method in READS and runtime.lifecycles.polls == polls):
        return response  # committed before its handler ran (the `commit` step), or a plain read
    if request.path.startswith(NOT_RECORDED):
        return response
    if await ex.read() is None:  # too large: refused, so nothing was written
        return response
    if ex.provider_name is None and request.path == ADMIN_RESET and not _scoped_reset(ex):
        runtime.store.forget_provider_writes()
    # a refusal (it never reached its handler), a poll, a control-plane call
    failure = keep(ex)
    if failure is not None and request.method not in READS and 200 <= response.status < 300:
        return web.json_response({"error": f"not kept: the write log failed ({failure})"}, status=503)
    return response


def _fits(request: web.Request) -> bool:
    """Whether the body can be read ahead without changing what the handler reads: a plain body of a
    declared length the mock takes (a refused one would leave the rest of it for the handler)."""
    length = request.content_length
    plain = request.headers.get("Content-Encoding", "identity").lower() in ("identity", "")
    return plain and length is not None and length <= request.client_max_size


def keep(ex: Exchange) -> Exception | None:
    """Append the exchange's write to the log; the error (logged) when the log cannot take it."""
    try:
        ex.runtime.store.append(write_of(ex), ex.runtime.clock.state())
    except (sqlite3.Error, OSError) as error:
        log.error("the write log could not keep %s %s: %s", ex.request.method, ex.request.path, error)
        return error
    return None


def write_of(ex: Exchange) -> Write:
    """The write as the log keeps it: without credentials or secrets, with the sandbox they opened."""
    request, provider = ex.request, ex.provider_name
    target = scrub_target(request.path_qs[len(ex.prefix) :] if provider else request.path_qs, ex.secret_rules)
    base = ex.origin() + ex.prefix if provider else None
    return Write(ex.token, ex.at, provider, request.method, target, base, _headers(ex), ex.kept_body())


def _headers(ex: Exchange) -> list[tuple[str, str]]:
    """What a replay needs in place of credentials: the sandbox they opened (the tenant header, as in
    fixtures), and for a Basic client secret the outcome it decides (the provider's `secret_fields`)."""
    rules = ex.secret_rules
    headers = []
    for name, value in ex.request.headers.items():
        lower = name.lower()
        if lower in REPLAY_HEADERS:
            continue  # a client's own copy would pass for replay metadata after a restart
        if lower == "authorization" and value[:6].lower() == "basic " and "client_secret" in rules:
            value = scrub_basic(value, rules["client_secret"])  # OAuth client authentication
        elif lower in SECRET_HEADERS or lower in ("host", "content-length"):
            continue  # a bearer token, an API key: the tenant header below stands for it
        headers.append((name, value))
    scope = ex.request.get(ADMIN_SCOPE)
    tenant = ex.principal.tenant if ex.principal is not None else getattr(scope, "tenant", None)
    if tenant is not None:  # a provider's caller, or the sandbox a control-plane call was limited to
        headers.append((TENANT_HEADER, tenant))
    return headers


def _scoped_reset(ex: Exchange) -> bool:
    """Whether a reset was of one provider or sandbox (by its body, or by the credential it came with)."""
    if getattr(ex.request.get(ADMIN_SCOPE), "tenant", None) is not None:
        return True
    try:
        data = formats.loads(ex.raw_body or b"{}")
    except ValueError:
        return True
    return not isinstance(data, dict) or bool(data.get("provider") or data.get("tenant"))
