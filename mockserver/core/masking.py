"""Secrets never leave the process in clear: journal, logs, exports and errors mask them here."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

MASK = "***"
SECRET_KEYS = frozenset(
    {
        "password",
        "passwordsii",
        "password_sii",
        "client_secret",
        "clientsecret",
        "secret",
        "refresh_token",
        "access_token",
        "accesstoken",
        "api_key",
        "apikey",
        "authorization",
        "x-avenio-authorization",
        "cookie",
        "token",
        "webhook_secret",
    }
)
SECRET_HEADERS = frozenset({"authorization", "x-avenio-authorization", "access_token", "cookie", "x-api-key"})
LONG_VALUE = 512


LABEL = re.compile(r"key-[0-9a-f]{12}")


def tenant_label(tenant: str) -> str:
    """The name of a sandbox opened by an API key or access token: a digest, so that the state, the
    journal, logs and exports never hold the key itself."""
    return tenant if LABEL.fullmatch(tenant) else "key-" + hashlib.sha256(tenant.encode()).hexdigest()[:12]


def mask_header(name: str, value: str) -> str:
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, _, rest = value.partition(" ")
    return f"{scheme} {MASK}" if rest else MASK


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: mask_header(name, value) for name, value in headers.items()}


def mask_value(value: Any) -> Any:
    """Mask secret keys at any depth and shorten long strings (base64 documents) for display."""
    if isinstance(value, Mapping):
        return {k: (MASK if str(k).lower() in SECRET_KEYS else mask_value(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, str) and len(value) > LONG_VALUE:
        return f"{value[:64]}…({len(value)} chars)"
    return value
