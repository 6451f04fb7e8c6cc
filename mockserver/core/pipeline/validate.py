"""Path and query parameters coerced to their schema types, and every value checked against the spec;
the first violation is the provider's validation error (all of them are in its detail). A JSON null
where the schema takes none stands for a field not given, as clients send it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline.call import Call, Next
from mockserver.core.services import multipart
from mockserver.core.validation import absent_nulls, read_params, violations


async def validate(call: Call, next: Next) -> web.StreamResponse:
    op, request = call.op, call.request
    assert op is not None  # on the chains of operations only
    call.path, problems = read_params(op, call.params, "path")
    call.query, more = read_params(op, request.query, "query")
    problems += more
    if (request.body_exists or op.bodies) and await call.read() is None:
        raise web.HTTPRequestEntityTooLarge(max_size=request.client_max_size, actual_size=0)
    problems += call.body_problems
    if call.decoded:
        validator = op.bodies[request.content_type]
        if call.json is not None:
            absent_nulls(validator, call.body)  # null in a field that takes none: as if not sent
        problems += violations(validator, _as_schema_sees_it(call.body), "body")
    if problems:
        raise MockError(
            Kind.VALIDATION, problems[0].message, field=problems[0].field, detail={"violations": problems}
        )
    return await next(call)


def _as_schema_sees_it(body: Any) -> Any:
    """A multipart form with each uploaded file as its bytes' stand-in: `type: string, format: binary`
    is how OpenAPI describes a file, and a client generated from the spec sends it so."""
    if isinstance(body, dict) and any(isinstance(v, multipart.Upload) for v in body.values()):
        return {k: "" if isinstance(v, multipart.Upload) else v for k, v in body.items()}
    return body
