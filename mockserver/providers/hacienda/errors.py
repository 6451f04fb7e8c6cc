"""Hacienda's error shapes: Keycloak JSON on the IdP; headers and an empty body on recepción."""

from __future__ import annotations

import json

from aiohttp import web

from mockserver.core.errors import Kind, MockError, status_of
from mockserver.core.pipeline import Call

CAUSE_LIMIT = 1024  # characters: a client's 200 KB field must not make a header no client can read


def _header_safe(text: str) -> str:
    """One line with control characters escaped: headers cannot carry them, yet clients send them in paths.
    Cut to CAUSE_LIMIT, marked with "..."."""
    line = " ".join(text.split())
    if len(line) > CAUSE_LIMIT:
        line = line[: CAUSE_LIMIT - 3] + "..."
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in line)


def is_idp(call: Call) -> bool:
    op = call.op
    if op is not None:
        return op.extensions.get("x-mock-envelope") == "keycloak"
    return "/protocol/openid-connect/" in call.request.path


REASONS = {400: "BAD_REQUEST", 404: "NOT_FOUND", 429: "TOO_MANY_REQUESTS"}


class HaciendaErrors:
    def render(self, error: MockError, call: Call) -> web.Response:
        status = status_of(error)
        headers = dict(error.headers)
        lookup = (
            call.op.extensions.get("x-mock-envelope") == "ae"
            if call.op
            else call.request.path.endswith("/fe/ae")
        )
        if lookup:  # the taxpayer lookup's JSON, a path it is not served under included
            violations = error.detail.get("violations")
            message = violations[0].words("es") if violations else error.message
            body = {"code": status, "status": REASONS.get(status, "ERROR"), "message": message}
            return web.Response(
                status=status,
                body=json.dumps(body, ensure_ascii=False).encode(),
                content_type="application/json",
                headers=headers,
            )
        if is_idp(call):
            if error.kind is Kind.NOT_FOUND and error.code == "Realm does not exist":
                body = {"error": "Realm does not exist"}
            else:
                body = {"error": error.code or error.kind.value, "error_description": error.message}
            return web.Response(
                status=status,
                body=json.dumps(body).encode(),
                content_type="application/json",
                headers=headers,
            )
        # Recepción documents errors as headers; its bodies are empty.
        if error.kind is Kind.UNAUTHORIZED:
            headers["WWW-Authenticate"] = 'Bearer realm="recepcion"'
        elif error.kind is not Kind.RATE_LIMITED:
            violations = error.detail.get("violations")
            cause = violations[0].words("es", full_path=True) if violations else error.message
            headers["X-Error-Cause"] = _header_safe(cause)
        if status == 400:
            headers["validation-exception"] = "true" if error.detail.get("validation", True) else "false"
        return web.Response(status=status, headers=headers)
