"""Idempotency keys, where the operation's spec asks for them (`x-mock-idempotency`): a retry with the
same key and body gets the first answer again; the same key with another body is a conflict."""

from __future__ import annotations

import re

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline.call import Call, Next
from mockserver.core.pipeline.strict import body_bytes
from mockserver.core.services.idempotency import KeyReused, Stored

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


async def idempotency(call: Call, next: Next) -> web.StreamResponse:
    op = call.op
    assert op is not None
    config = op.extensions["x-mock-idempotency"]
    header = config.get("header", "Idempotency-Key")
    key = call.request.headers.get(header)
    if not key:
        if config.get("required"):
            raise MockError(
                Kind.VALIDATION,
                f"The {header} header is required",
                field=header,
                code="idempotency_key_missing",
            )
        return await next(call)
    if config.get("format") == "uuid" and not _UUID.match(key):
        raise MockError(
            Kind.VALIDATION,
            f"The {header} header must be a UUID",
            field=header,
            code="idempotency_key_invalid",
        )
    store = call.runtime.idempotency
    tenant = call.principal.tenant if call.principal else ""
    # keys are scoped per operation: Avenio's quickstart reuses one key for emitir and anular
    scope = (call.provider.name, tenant, f"{op.id}:{key}")
    # over the body as the write log keeps it, so a retry after a restart still matches its replay
    fingerprint = store.fingerprint(op.id, call.kept_body())
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
    response = await next(call)
    if isinstance(response, web.Response) and response.status < 500:
        store.remember(
            scope, Stored(fingerprint, response.status, tuple(response.headers.items()), body_bytes(response))
        )
    return response
