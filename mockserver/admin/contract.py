"""The control plane's own contract, `specs/mockserver/openapi.yaml`, checked before any handler as a
provider's requests are: path and query values coerced and bounded, the body read once through
`formats.loads` (no NaN, no 1e400, no lone surrogate) and validated. A handler therefore never meets a
value of a type or size its call does not take; it still names the fields it does not know."""

from __future__ import annotations

import functools
from typing import Any

from aiohttp import web

from mockserver.admin.common import BODY, AdminError, decoded
from mockserver.core import formats
from mockserver.core.specs import Operation, load_spec
from mockserver.core.validation import Violation, absent_nulls, read_params, violations
from mockserver.paths import SPECS

SPEC_FILE = SPECS / "mockserver" / "openapi.yaml"
MOUNT = "/__admin"


@functools.cache
def operations() -> dict[tuple[str, str], Operation]:
    """(method, route as aiohttp names it) → the operation the contract documents."""
    spec = load_spec(SPEC_FILE)
    return {(op.method, MOUNT + op.path): op for op in spec.operations.values()}


def canonical(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


@web.middleware
async def contract(request: web.Request, handler: Any) -> web.StreamResponse:
    op = operations().get((request.method, canonical(request)))
    if op is not None:
        await _check(request, op)
    response: web.StreamResponse = await handler(request)
    return response


async def _check(request: web.Request, op: Operation) -> None:
    for source in (request.query, request.match_info):
        if any(formats.unsafe_text(k) or formats.unsafe_text(v) for k, v in source.items()):
            raise AdminError("a parameter holds a NUL or an unpaired surrogate")
    problems: list[Violation] = []
    for location, source in (("path", request.match_info), ("query", request.query)):
        problems += read_params(op, source, location)[1]
    raw = await request.read() if request.body_exists else b""
    if raw:
        request[BODY] = data = decoded(raw)
        validator = op.bodies.get("application/json")
        if validator is not None:
            absent_nulls(validator, data)  # null is how clients say "not given", as to a provider
            problems += violations(validator, data, "body")
    elif op.body_required:
        raise AdminError("this call needs a JSON body")
    if problems:
        raise AdminError("; ".join(p.words("en", full_path=True) for p in problems))
