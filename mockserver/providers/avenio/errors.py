"""Avenio's error envelope: `{"success": false, "error": {code, message, details?}, "traceId"}`."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError, status_of
from mockserver.core.pipeline import Call
from mockserver.core.validation import Violation

# Malformed requests are 400; well-formed requests that break the rules are 422.
BAD_REQUEST_KEYWORDS = {"json", "encoding", "content-type"}
DEFAULT_CODES = {
    Kind.VALIDATION: "validation_error",
    Kind.UNAUTHORIZED: "unauthorized",
    Kind.FORBIDDEN: "forbidden",
    Kind.NOT_FOUND: "not_found",
    Kind.CONFLICT: "conflict",
    Kind.RATE_LIMITED: "rate_limited",
    Kind.UNSUPPORTED: "not_implemented",
    Kind.PAYLOAD_TOO_LARGE: "payload_too_large",
    Kind.METHOD_NOT_ALLOWED: "method_not_allowed",
    Kind.UNAVAILABLE: "service_unavailable",
    Kind.INTERNAL: "internal_error",
}


def _malformed(v: Violation) -> bool:
    """A body that is missing or unreadable, or a bad header or query: the request itself is malformed."""
    missing_body = v.location == "body" and v.keyword == "required" and not v.field
    return missing_body or v.keyword in BAD_REQUEST_KEYWORDS or v.location in ("header", "query")


def envelope(call: Call, data: Any) -> dict[str, Any]:
    return {"success": True, "data": data, "traceId": call.trace_id}


class AvenioErrors:
    def render(self, error: MockError, call: Call) -> web.Response:
        status = status_of(error)
        code = error.code or DEFAULT_CODES[error.kind]
        details: Any = error.detail.get("details")
        violations = error.detail.get("violations")
        if violations:
            details = [{"field": v.field, "message": v.message} for v in violations]
            if any(_malformed(v) for v in violations):
                status, code = 400, "bad_request"
            else:
                status = 422
        elif error.kind is Kind.VALIDATION and error.code and error.code.startswith("idempotency_key"):
            status = 400
        if "required" in error.detail:
            details = {"required": error.detail["required"], "granted": error.detail["granted"]}
        body: dict[str, Any] = {"code": code, "message": error.message}
        if details is not None:
            body["details"] = details
        headers = dict(error.headers)
        if error.kind is Kind.UNAUTHORIZED and error.code != "invalid_client":
            headers["WWW-Authenticate"] = f'Bearer error="{code}"'
        payload = {"success": False, "error": body, "traceId": call.trace_id}
        return web.Response(
            status=status,
            body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
            content_type="application/json",
            headers=headers,
        )
