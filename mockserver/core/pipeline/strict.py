"""`--strict`: every answer is checked against the operation's responses in the spec; a mismatch is
logged and kept (the tests fail on any). On the chain only when the mock runs strict."""

from __future__ import annotations

import logging

from aiohttp import web

from mockserver.core.pipeline.call import Call, Next
from mockserver.core.validation import check_response

errlog = logging.getLogger("mockserver.errors")


def body_bytes(response: web.Response) -> bytes:
    """The body as sent, whether the handler gave bytes or text."""
    if isinstance(response.body, bytes):
        return response.body
    if response.text is not None:
        return response.text.encode(response.charset or "utf-8")
    return b""


async def strict(call: Call, next: Next) -> web.StreamResponse:
    response = await next(call)
    if call.op is None or call.injected or not isinstance(response, web.Response):
        return response
    body = body_bytes(response)
    problems = check_response(
        call.op, response.status, response.content_type if body else "", body, response.headers
    )
    if problems:
        errlog.error("response breaks the spec: %s", problems)
        call.runtime.violations.extend(problems)
    return response
