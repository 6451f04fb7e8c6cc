"""Tu Pana's v2 error envelope: `{"error": {type, code, message, param, doc_url, request_id}}`."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError, status_of
from mockserver.core.pipeline import Call

TYPES = {
    Kind.VALIDATION: "invalid_request_error",
    Kind.NOT_FOUND: "invalid_request_error",
    Kind.CONFLICT: "invalid_request_error",
    Kind.PAYLOAD_TOO_LARGE: "invalid_request_error",
    Kind.METHOD_NOT_ALLOWED: "invalid_request_error",
    Kind.UNAUTHORIZED: "authentication_error",
    Kind.FORBIDDEN: "permission_error",
    Kind.RATE_LIMITED: "rate_limit_error",
    Kind.UNSUPPORTED: "api_error",
    Kind.UNAVAILABLE: "api_error",
    Kind.INTERNAL: "api_error",
}
CODES = {
    Kind.VALIDATION: "parameter_invalid",
    Kind.NOT_FOUND: "resource_missing",
    Kind.CONFLICT: "conflict",
    Kind.PAYLOAD_TOO_LARGE: "payload_too_large",
    Kind.METHOD_NOT_ALLOWED: "method_not_allowed",
    Kind.UNAUTHORIZED: "invalid_api_key",
    Kind.FORBIDDEN: "permission_denied",
    Kind.RATE_LIMITED: "rate_limited",
    Kind.UNSUPPORTED: "not_implemented",
    Kind.UNAVAILABLE: "service_unavailable",
    Kind.INTERNAL: "internal_error",
}
DOCS = "https://docs.tupana.ai/errors#"


class TupanaErrors:
    def render(self, error: MockError, call: Call) -> web.Response:
        status = status_of(error)
        code = error.code or CODES[error.kind]
        param = error.field
        violations = error.detail.get("violations")
        if violations:
            first = violations[0]
            param = first.field or None
            if first.keyword in ("json", "encoding", "content-type"):
                status, code = 400, "invalid_json"
            elif first.location in ("query", "path", "header"):
                status, code = (
                    400,
                    "parameter_missing" if first.keyword == "required" else "parameter_invalid",
                )
            else:
                status, code = 422, "validation_error"
        kind = "idempotency_error" if error.code == "idempotency_key_reused" else TYPES[error.kind]
        request_id = call.correlation_id
        body: dict[str, Any] = {
            "type": kind,
            "code": code,
            "message": error.message,
            "param": param,
            "doc_url": DOCS + code,
            "request_id": request_id,
        }
        if violations and len(violations) > 1:
            body["errors"] = [{"param": v.field, "message": v.message} for v in violations]
        headers = dict(error.headers)
        if status in (429, 503):
            headers.setdefault("Retry-After", "1" if status == 429 else "30")
        return web.Response(
            status=status,
            body=json.dumps({"error": body}, ensure_ascii=False).encode(),
            content_type="application/json",
            headers=headers,
        )
