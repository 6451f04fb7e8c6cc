"""The request pipeline's middlewares, one per concern, shared by every provider.

Order (outermost first): journal → error envelope → scenarios → rate limit → auth → validation →
idempotency → handler. The journal sits outside the envelope so it records the status the client
really got; scenarios sit inside it so injected faults come out in the provider's own error shape;
rate limiting sits before auth because providers count failed authentications (Hacienda's sandbox
allows 5 unauthorized POSTs a minute).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.payload import AsyncIterablePayload

from mockserver.core import multipart
from mockserver.core.errors import Kind, MockError, status_of
from mockserver.core.idempotency import KeyReused, Stored
from mockserver.core.journal import Entry
from mockserver.core.masking import mask_value, scrub_body
from mockserver.core.pipeline import (
    ADMIN_PREFIX,
    CALL,
    PROVIDER,
    REPLAY_BASE,
    REPLAY_TENANT,
    VIOLATIONS,
    Call,
    Next,
    call_of,
    operation_of,
    passthrough,
)
from mockserver.core.plugin import Principal
from mockserver.core.ratelimit import Exceeded
from mockserver.core.scenarios import HEADER as SCENARIO_HEADER
from mockserver.core.specs import Operation, Violation, check_response, read_params, violations

log = logging.getLogger("mockserver.access")
errlog = logging.getLogger("mockserver.errors")


@web.middleware
async def journal(request: web.Request, handler: Next) -> web.StreamResponse:
    if request.path.startswith(ADMIN_PREFIX + "/"):
        return await handler(request)
    provider = request.app[PROVIDER]
    runtime = provider.runtime
    op = operation_of(request)
    call = Call(request, op, provider)
    header = provider.provider.correlation_header
    if header:
        call.correlation_id = request.headers.get(header) or call.trace_id
        call.extra_headers[header] = call.correlation_id
    if REPLAY_BASE in request:
        call.replay_base, call.replay_tenant = request[REPLAY_BASE], request.get(REPLAY_TENANT, "")
    request[CALL] = call
    runtime.scheduler.run_due()  # reads see every transition whose time has come
    loop_time = asyncio.get_running_loop().time
    started, at = loop_time(), runtime.clock.now()
    response = await handler(request)
    ms = round((loop_time() - started) * 1000, 3)
    tenant = call.principal.tenant if call.principal else None
    if op is None and request.path.endswith((".json", ".yaml")) and "openapi" in request.path:
        return response
    runtime.journal.record(
        Entry(
            id=runtime.journal.next_id(),
            at=at,
            provider=provider.name,
            operation=op.id if op else None,
            tenant=tenant,
            method=request.method,
            path=request.path,
            query=request.query,
            status=response.status,
            duration_ms=ms,
            request_headers=request.headers,
            request_body=_journal_body(call),
            response_headers=response.headers,
            scenario=call.scenario,
        )
    )
    if log.isEnabledFor(logging.INFO):
        log.info(
            json.dumps(
                {
                    "correlation": call.correlation_id,
                    "provider": provider.name,
                    "op": op.id if op else None,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status,
                    "ms": ms,
                    "tenant": tenant,
                },
                ensure_ascii=False,
            )
        )
    return response


def _journal_body(call: Call) -> Any:
    if isinstance(call.body, dict):  # a file upload shows its name, type and size, never its content
        return mask_value(
            {k: v.summary() if isinstance(v, multipart.Upload) else v for k, v in call.body.items()}
        )
    if call.body is not None:
        return mask_value(call.body)
    if call.raw_body:
        return mask_value(call.raw_body.decode("utf-8", "replace"))
    return None


@web.middleware
async def envelope(request: web.Request, handler: Next) -> web.StreamResponse:
    if passthrough(request):
        return await handler(request)
    provider = request.app[PROVIDER]
    call = call_of(request)
    try:
        response = await handler(request)
    except MockError as error:
        response = provider.provider.errors.render(error, request)
    except web.HTTPNotFound:
        response = provider.provider.errors.render(MockError(Kind.NOT_FOUND, "No such resource"), request)
    except web.HTTPMethodNotAllowed:
        response = provider.provider.errors.render(
            MockError(Kind.METHOD_NOT_ALLOWED, f"Method {request.method} not allowed"), request
        )
    except web.HTTPRequestEntityTooLarge:
        response = provider.provider.errors.render(
            MockError(Kind.PAYLOAD_TOO_LARGE, "Request body too large"), request
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = provider.provider.errors.render(
            MockError(Kind.VALIDATION, exc.reason, status=exc.status), request
        )
    except Exception:
        errlog.exception("unhandled error in %s %s", request.method, request.path)
        response = provider.provider.errors.render(MockError(Kind.INTERNAL, "Internal error"), request)
    for name, value in call.extra_headers.items():
        response.headers.setdefault(name, value)
    if (
        provider.runtime.settings.strict
        and call.op is not None
        and not call.injected
        and isinstance(response, web.Response)
    ):
        _enforce_spec(call.op, response, request)
    return response


def body_bytes(response: web.Response) -> bytes:
    """The body as sent, whether the handler gave bytes or text."""
    if isinstance(response.body, bytes):
        return response.body
    if response.text is not None:
        return response.text.encode(response.charset or "utf-8")
    return b""


def _enforce_spec(op: Operation, response: web.Response, request: web.Request) -> None:
    body = body_bytes(response)
    problems = check_response(
        op, response.status, response.content_type if body else "", body, response.headers
    )
    if problems:
        errlog.error("response breaks the spec: %s", problems)
        violations_list = request.app.get(VIOLATIONS)
        if isinstance(violations_list, list):
            violations_list.extend(problems)


STATUS_KINDS = {
    400: Kind.VALIDATION,
    401: Kind.UNAUTHORIZED,
    403: Kind.FORBIDDEN,
    404: Kind.NOT_FOUND,
    405: Kind.METHOD_NOT_ALLOWED,
    409: Kind.CONFLICT,
    413: Kind.PAYLOAD_TOO_LARGE,
    429: Kind.RATE_LIMITED,
    500: Kind.INTERNAL,
    501: Kind.UNSUPPORTED,
}


@web.middleware
async def scenarios(request: web.Request, handler: Next) -> web.StreamResponse:
    if passthrough(request):
        return await handler(request)
    call = call_of(request)
    engine = call.provider.runtime.scenarios
    header = request.headers.get(SCENARIO_HEADER)
    if not engine.rules and not header:
        return await handler(request)
    body: Any = None
    if request.body_exists and any(r.match is not None for r in engine.rules):
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            body = None
    auth = call.provider.provider.auth
    action = engine.pick(
        provider=call.provider.name,
        operation=call.op.id if call.op else None,
        tenant=auth.peek_tenant(request) if auth else None,
        method=request.method,
        path=request.path,
        body=body,
        header=header,
    )
    if action is None:
        return await handler(request)
    call.scenario = action.get("name")
    if action.get("delay") and not call.replaying:  # a replay repeats the outcome, not the wait
        await asyncio.sleep(float(action["delay"]))
    if action.get("drop"):
        call.injected = True
        if request.transport is not None:
            request.transport.abort()  # the client sees the connection reset; what follows is never sent
        return web.Response(status=499)
    status = action.get("status")
    if status:
        call.injected = True
        headers = {"Retry-After": str(action["retry_after"])} if action.get("retry_after") else {}
        kind = STATUS_KINDS.get(status, Kind.UNAVAILABLE if status >= 500 else Kind.VALIDATION)
        raise MockError(
            kind,
            action.get("message") or f"Scenario {call.scenario or action.get('rule')}",
            code=action.get("code"),
            status=status,
            headers=headers,
        )
    response = await handler(request)
    if action.get("slow_body") and isinstance(response, web.Response) and not call.replaying:
        call.injected = True  # checked before it was slowed; the streamed copy is not read again
        return _slow(response, float(action["slow_body"]))
    return response


def _slow(response: web.Response, seconds: float) -> web.Response:
    """The same answer, its body trickled out over `seconds` (headers go first, as from a slow server)."""
    body = body_bytes(response)
    chunks = [
        body[i : i + max(1, len(body) // 10)] for i in range(0, len(body), max(1, len(body) // 10))
    ] or [b""]

    async def trickle() -> Any:
        for chunk in chunks:
            await asyncio.sleep(seconds / len(chunks))
            yield chunk

    slow = web.Response(
        status=response.status,
        headers={
            k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")
        },
        body=AsyncIterablePayload(trickle()),
    )
    slow.content_type = response.content_type
    return slow


@web.middleware
async def rate_limit(request: web.Request, handler: Next) -> web.StreamResponse:
    if passthrough(request):
        return await handler(request)
    call = call_of(request)
    policy = call.provider.provider.rate_limits
    limiter = call.provider.limiter
    if policy is None:
        return await handler(request)
    auth = call.provider.provider.auth
    # the tenant only keys the counters: with limits off nothing counts, so none is read (for Hacienda,
    # reading one decodes a JWT)
    tenant = auth.peek_tenant(request) if auth and limiter.enabled else None
    limits = policy.before(request, call.op, tenant)
    if limits is None:
        return await handler(request)
    if not limiter.enabled:
        # nothing is counted, but clients that read the headers still find them: a full budget
        shown = limits.shown or next(iter((*limits.charge, *limits.guard)), None)
        if shown is not None and limits.headers:
            full = limiter.limit_of(shown)
            call.extra_headers.update(policy.headers(full, full, limiter.window_end(shown)))
        return await handler(request)
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
        response = await handler(request)
        status = response.status
        return response
    except MockError as error:
        status = status_of(error)
        raise
    finally:
        limiter.charge(limits.key, policy.after(request, call.op, status))


@web.middleware
async def authenticate(request: web.Request, handler: Next) -> web.StreamResponse:
    if passthrough(request):
        return await handler(request)
    call = call_of(request)
    auth = call.provider.provider.auth
    if call.op is not None and call.op.secured and call.replay_tenant:
        call.principal = Principal(call.provider.tenant_name(call.replay_tenant), call.op.scopes)
    elif call.op is not None and call.op.secured and auth is not None:
        principal = await auth.authenticate(request, call.op)
        tenant = call.provider.tenant_name(principal.tenant)
        call.principal = (
            principal if tenant == principal.tenant else Principal(tenant, principal.scopes, principal.claims)
        )
    return await handler(request)


@web.middleware
async def validate(request: web.Request, handler: Next) -> web.StreamResponse:
    if passthrough(request):
        return await handler(request)
    call = call_of(request)
    op = call.op
    if op is None:
        return await handler(request)
    call.path, problems = read_params(op, request.match_info, "path")
    query, more = read_params(op, request.query, "query")
    call.query = query
    problems += more
    if request.body_exists or op.bodies:
        call.raw_body = await request.read()
        body, more = _read_body(
            op, request.content_type, call.raw_body, request.headers.get("Content-Type", "")
        )
        call.body = body
        problems += more
    if problems:
        raise MockError(
            Kind.VALIDATION, problems[0].message, field=problems[0].field, detail={"violations": problems}
        )
    return await handler(request)


def _read_body(op: Operation, content_type: str, raw: bytes, header: str) -> tuple[Any, list[Violation]]:
    if not raw:
        if op.body_required:
            return None, [Violation("body", "", "A request body is required", "required")]
        return None, []
    validator = op.bodies.get(content_type)
    if validator is None:
        if not op.bodies:
            return None, []
        expected = ", ".join(op.bodies)
        return None, [
            Violation(
                "body", "", f"Content-Type {content_type!r} is not accepted; use {expected}", "content-type"
            )
        ]
    if content_type == "multipart/form-data":
        try:
            form = multipart.parse(header, raw)
        except multipart.MultipartError as error:
            return None, [Violation("body", "", str(error), "content-type")]
        return form, violations(validator, form, "body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Violation("body", "", "The body is not valid UTF-8", "encoding")]
    body: Any
    if content_type == "application/x-www-form-urlencoded":
        body = dict(parse_qsl(text, keep_blank_values=True))
    elif content_type.endswith("json"):
        try:
            body = json.loads(text)
        except (ValueError, RecursionError):
            return None, [Violation("body", "", "The body is not valid JSON", "json")]
    else:
        body = text
    return body, violations(validator, body, "body")


@web.middleware
async def idempotency(request: web.Request, handler: Next) -> web.StreamResponse:
    if passthrough(request):
        return await handler(request)
    call = call_of(request)
    config = call.op.extensions.get("x-mock-idempotency") if call.op else None
    if not config or call.op is None:
        return await handler(request)
    header = config.get("header", "Idempotency-Key")
    key = request.headers.get(header)
    if not key:
        if config.get("required"):
            raise MockError(
                Kind.VALIDATION,
                f"The {header} header is required",
                field=header,
                code="idempotency_key_missing",
            )
        return await handler(request)
    if config.get("format") == "uuid" and not _UUID.match(key):
        raise MockError(
            Kind.VALIDATION,
            f"The {header} header must be a UUID",
            field=header,
            code="idempotency_key_invalid",
        )
    store = call.provider.runtime.idempotency
    tenant = call.principal.tenant if call.principal else ""
    # keys are scoped per operation: Avenio's quickstart reuses one key for emitir and anular
    scope = (call.provider.name, tenant, f"{call.op.id}:{key}")
    # over the body as the write log keeps it, so a retry after a restart still matches its replay
    kept = scrub_body(call.raw_body, request.content_type, call.provider.provider.secret_fields)
    fingerprint = store.fingerprint(call.op.id, kept)
    try:
        stored = store.lookup(scope, fingerprint)
    except KeyReused:
        raise MockError(
            Kind.CONFLICT,
            f"The {header} was already used with a different request body",
            field=header,
            code="idempotency_key_reused",
        ) from None
    if stored is not None:
        headers = {k: v for k, v in stored.headers if k.lower() != "content-length"}
        replay = web.Response(status=stored.status, body=stored.body, headers=headers)
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
    response = await handler(request)
    if isinstance(response, web.Response) and response.status < 500:
        store.remember(
            scope, Stored(fingerprint, response.status, tuple(response.headers.items()), body_bytes(response))
        )
    return response


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

MIDDLEWARES = (journal, envelope, scenarios, rate_limit, authenticate, validate, idempotency)
