"""tuimprenta's error format: `{"error": {type, message, field, code}}` with stable E-codes (README table)."""

from __future__ import annotations

import json

from aiohttp import web

from mockserver.core.errors import Kind, MockError, status_of
from mockserver.core.pipeline import Call

TYPES = {
    Kind.VALIDATION: "validation_error",
    Kind.UNAUTHORIZED: "authentication_error",
    Kind.FORBIDDEN: "permission_error",
    Kind.NOT_FOUND: "not_found",
    Kind.CONFLICT: "conflict",
    Kind.RATE_LIMITED: "rate_limit_error",
    Kind.PAYLOAD_TOO_LARGE: "validation_error",
    Kind.METHOD_NOT_ALLOWED: "invalid_request",
    Kind.UNSUPPORTED: "api_error",
    Kind.UNAVAILABLE: "api_error",
    Kind.INTERNAL: "api_error",
}
CODES = {
    Kind.VALIDATION: "E1002",
    Kind.UNAUTHORIZED: "E4001",
    Kind.FORBIDDEN: "E4003",
    Kind.NOT_FOUND: "E3001",
    Kind.CONFLICT: "E4090",
    Kind.RATE_LIMITED: "E4290",
    Kind.PAYLOAD_TOO_LARGE: "E1005",
    Kind.METHOD_NOT_ALLOWED: "E4050",
    Kind.UNSUPPORTED: "E5010",
    Kind.UNAVAILABLE: "E5030",
    Kind.INTERNAL: "E5000",
}
MESSAGES = {
    Kind.UNAUTHORIZED: "No autorizado: API key inválida o ausente (Authorization: Bearer <API_KEY>)",
    Kind.RATE_LIMITED: "Límite de peticiones excedido: 60 por minuto por API key",
    Kind.METHOD_NOT_ALLOWED: "Método no permitido",
    Kind.INTERNAL: "Error interno del servidor",
}
# the platform's own error codes, in tuimprenta's words
PLATFORM = {
    "idempotency_key_reused": ("E4090", "La Idempotency-Key ya se usó con un cuerpo distinto"),
    "idempotency_key_missing": ("E1001", "Falta la cabecera Idempotency-Key"),
    "idempotency_key_invalid": ("E1002", "La Idempotency-Key no es válida"),
}
KEYWORD_CODES = {"required": "E1001", "json": "E1004", "encoding": "E1004", "content-type": "E1004"}


def _path(field: str) -> str:
    """`items.0.qty` → `items[0].qty`, the way the seed writes field paths."""
    parts: list[str] = []
    for part in field.split("."):
        if part.isdigit() and parts:
            parts[-1] += f"[{part}]"
        else:
            parts.append(part)
    return ".".join(parts)


class TuimprentaErrors:
    def render(self, error: MockError, call: Call) -> web.Response:
        status = status_of(error)
        kind = error.detail.get("type") or TYPES[error.kind]
        code = error.code or CODES[error.kind]
        message = MESSAGES.get(error.kind, error.message) if error.code is None else error.message
        if code in PLATFORM:
            code, message = PLATFORM[code]
        field = error.field
        violations = error.detail.get("violations")
        if violations:
            first = violations[0]
            status, kind = 422, "validation_error"
            code = KEYWORD_CODES.get(
                first.keyword,
                "E1003" if first.keyword in ("minimum", "maximum", "enum", "minItems") else "E1002",
            )
            field = _path(first.field) if first.field else None
            # the seed: "El campo tax_id es requerido" with field "customer.tax_id"
            message = (
                f"El campo {field.rsplit('.', 1)[-1]} es requerido"
                if first.keyword == "required" and field
                else "El cuerpo no es JSON válido"
                if code == "E1004"
                else first.words("es", full_path=True)
            )
        elif error.kind is Kind.NOT_FOUND and error.code is None:
            message = "Recurso no encontrado"
        body = {"error": {"type": kind, "message": message, "field": field, "code": code}}
        return web.Response(
            status=status,
            body=json.dumps(body, ensure_ascii=False).encode(),
            content_type="application/json",
            headers=error.headers,
        )
