"""Secrets never leave the process in clear: journal, logs, exports and errors mask them here."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

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
SECRET_HEADERS = frozenset(
    {"authorization", "x-avenio-authorization", "access_token", "cookie", "x-api-key", "x-mock-admin-token"}
)
LONG_VALUE = 512


LABEL = re.compile(r"key-[0-9a-f]{12}")


@functools.lru_cache(maxsize=4096)  # once per credential, not once per request
def credential_label(credential: str) -> str:
    """The name of the sandbox an API key or access token opens: a digest, so that the state, the
    journal, logs and exports never hold the key itself."""
    return "key-" + hashlib.sha256(credential.encode()).hexdigest()[:12]


def tenant_label(tenant: str) -> str:
    """A control-plane name for a key-named sandbox: the key (→ its label), or the label itself."""
    return tenant if LABEL.fullmatch(tenant) else credential_label(tenant)


def names_sandbox(asked: str | None, held: str | None) -> bool:
    """Whether a control-plane filter `asked` (a key, its label, any tenant; None for all) names the
    sandbox a record `held`."""
    return asked is None or held in (asked, tenant_label(asked))


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


# a secret field's stand-in in the write log: what a replay needs of it (the outcome it decides)
SecretRule = Callable[[str], str]
REDACTED = "redacted-by-mockserver"


def scrub_body(
    body: bytes, content_type: str, rules: Mapping[str, SecretRule], *, parsed: Any = None
) -> bytes:
    """The body with each secret field (top level of a JSON object or a form) replaced by its stand-in;
    the body itself when nothing changes. A password's stand-in is its own stand-in, so a body from the
    write log fingerprints as the original did (see the idempotency step). `parsed`: the JSON body
    already decoded, so it is not decoded again."""
    if not rules or not body:
        return body
    if content_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        scrubbed = [(k, rules[k](v) if k in rules else v) for k, v in pairs]
        return urlencode(scrubbed).encode() if scrubbed != pairs else body
    if not content_type.endswith("json"):
        return body
    data = parsed
    if data is None:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return body
    if not isinstance(data, dict):
        return body
    changed = {
        k: kept for k, v in data.items() if k in rules and isinstance(v, str) and (kept := rules[k](v)) != v
    }
    return json.dumps({**data, **changed}, ensure_ascii=False).encode() if changed else body


def scrub_basic(value: str, rule: SecretRule) -> str:
    """`Basic base64(id:secret)` with the secret replaced by its stand-in."""
    try:
        client_id, sep, secret = base64.b64decode(value[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "Basic " + MASK
    return "Basic " + base64.b64encode(f"{client_id}{sep}{rule(secret)}".encode()).decode()
