"""Bsale's errors are flat: `{"error": "<message>"}`, with its exact messages where they are known."""

from __future__ import annotations

import json

from aiohttp import web

from mockserver.core.errors import Kind, MockError, status_of
from mockserver.core.pipeline import Call

UNAUTHENTICATED = "Sorry, this request can not be authenticated"
GENERIC = {
    Kind.NOT_FOUND: "Not Found",
    Kind.METHOD_NOT_ALLOWED: "Method Not Allowed",
    Kind.RATE_LIMITED: "Too Many Requests",
    Kind.INTERNAL: "Internal Server Error",
}


class BsaleErrors:
    def render(self, error: MockError, call: Call) -> web.Response:
        message = error.message
        status = status_of(error)
        violations = error.detail.get("violations")
        if violations and violations[0].location == "path":
            # `/v1/clients/unpaid_documents.json` is a name, not an id: no such resource, as Bsale says
            status, message = 404, GENERIC[Kind.NOT_FOUND]
        elif violations:
            first = violations[0]
            # the body could not be read as JSON: Bsale's own words
            message = (
                "Invalid JSON object"
                if first.keyword in ("json", "encoding", "content-type")
                else first.words("en", full_path=True)
            )
        elif error.kind is Kind.UNAUTHORIZED:
            message = UNAUTHENTICATED
        elif (
            error.kind in GENERIC
            and error.code is None
            and error.message in ("No such resource", "Too many requests", "Internal error")
        ) or (error.kind is Kind.METHOD_NOT_ALLOWED):
            message = GENERIC[error.kind]
        return web.Response(
            status=status,
            body=json.dumps({"error": message}, ensure_ascii=False).encode(),
            content_type="application/json",
            headers=error.headers,
        )
