"""Domain errors: raised by state and the pipeline, rendered by each provider in its own envelope."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    VALIDATION = "validation"  # the request does not match the spec or a business rule
    UNAUTHORIZED = "unauthorized"  # missing, malformed or expired credential
    FORBIDDEN = "forbidden"  # valid credential without the right to do this
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # duplicate, idempotency key reused with another body
    RATE_LIMITED = "rate_limited"
    UNSUPPORTED = "unsupported"  # an operation the mock does not implement (501)
    PAYLOAD_TOO_LARGE = "payload_too_large"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


class MockError(Exception):
    """A failure the provider renders: `code` is the provider's own error code, `detail` extra data."""

    def __init__(
        self,
        kind: Kind,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code
        self.field = field
        self.status = status
        self.headers = headers or {}
        self.detail = detail or {}


DEFAULT_STATUS: dict[Kind, int] = {
    Kind.VALIDATION: 400,
    Kind.UNAUTHORIZED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.METHOD_NOT_ALLOWED: 405,
    Kind.CONFLICT: 409,
    Kind.PAYLOAD_TOO_LARGE: 413,
    Kind.RATE_LIMITED: 429,
    Kind.INTERNAL: 500,
    Kind.UNSUPPORTED: 501,
    Kind.UNAVAILABLE: 503,
}


def status_of(error: MockError) -> int:
    return error.status or DEFAULT_STATUS[error.kind]
