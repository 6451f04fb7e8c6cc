"""Secrets never leave the process in clear: journal, logs, exports and errors mask them here."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
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
    {
        "authorization",
        "proxy-authorization",
        "x-avenio-authorization",
        "access_token",
        "cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-access-token",
        "x-mock-admin-token",
    }
)
# a body that cannot be read yet names one of these is kept, shown and logged as MASK alone
SECRET_WORDS = re.compile("|".join(sorted(SECRET_KEYS | {"passwd", "pwd"}, key=len, reverse=True)), re.I)
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


def mentions_secret(text: str) -> bool:
    return SECRET_WORDS.search(text) is not None


def mask_query(query: Mapping[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_KEYS else v) for k, v in query.items()}


def scrub_target(path_qs: str, rules: Mapping[str, SecretRule]) -> str:
    """A request target with each secret in its query replaced: by its stand-in where the provider has
    one, by MASK otherwise (no provider takes credentials in a query: the request fails either way)."""
    path, sep, query = path_qs.partition("?")
    if not sep:
        return path_qs
    pairs = parse_qsl(query, keep_blank_values=True)
    scrubbed = [(k, rules[k](v) if k in rules else MASK if k.lower() in SECRET_KEYS else v) for k, v in pairs]
    return path_qs if scrubbed == pairs else f"{path}?{urlencode(scrubbed)}"


def mask_value(value: Any) -> Any:
    """Mask secret keys at any depth and shorten long strings (base64 documents) for display."""
    if isinstance(value, Mapping):
        return {k: (MASK if str(k).lower() in SECRET_KEYS else mask_value(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, str) and len(value) > LONG_VALUE:
        return f"{value[:64]}…({len(value)} chars)"
    return value


DIGEST_PREFIX = "sha256:"  # a secret's stand-in in the write log that a replay checks against


def salted_digest(salt: bytes, secret: str) -> bytes:
    """HMAC-SHA-256 under the mock's own salt (Runtime.secret_salt): a leaked log gives no table lookup."""
    return hmac.new(salt, secret.encode(), hashlib.sha256).digest()


def digest_stand_in(salt: bytes, secret: str) -> str:
    return DIGEST_PREFIX + salted_digest(salt, secret).hex()


def presented_digest(salt: bytes, secret: str, replaying: bool) -> bytes | None:
    """The digest a presented secret stands for: the write log's own on a replay, else the salted one
    (None for a replayed stand-in that is not a digest)."""
    if replaying and secret.startswith(DIGEST_PREFIX):
        try:
            return bytes.fromhex(secret[len(DIGEST_PREFIX) :])
        except ValueError:
            return None
    return salted_digest(salt, secret)


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
    text = body.decode("utf-8", "replace")
    if content_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(text, keep_blank_values=True)
        scrubbed = [(k, rules[k](v) if k in rules else v) for k, v in pairs]  # a repeated field each time
        return urlencode(scrubbed).encode() if scrubbed != pairs else body
    data = parsed
    if data is None:  # whatever the Content-Type says: buggy clients send JSON as text/plain, with a BOM
        try:
            data = json.loads(text.lstrip("\ufeff"))
        except (ValueError, RecursionError):
            data = None
    if isinstance(data, dict):
        changed = {k: _stand_in(rules[k], v) for k, v in data.items() if k in rules}
        changed = {k: v for k, v in changed.items() if v != data[k]}
        try:
            return json.dumps({**data, **changed}, ensure_ascii=False).encode() if changed else body
        except UnicodeEncodeError:  # a lone surrogate: refused by the body step, kept without secrets
            return REDACTED.encode()
    # unreadable (a trailing comma, a form sent as JSON…): refused whatever it holds, so a replay loses
    # nothing when the body goes; it goes only when it might hold a secret
    lowered = text.lower()
    return REDACTED.encode() if any(k.lower() in lowered for k in rules) else body


def _stand_in(rule: SecretRule, value: Any) -> Any:
    """A string's stand-in; any other value (a number where a password belongs: refused) keeps its
    type but not its content, so a replay is refused as the original was."""
    if isinstance(value, str):
        return rule(value)
    if isinstance(value, bool) or value is None:
        return value
    return {int: 0, float: 0.0, list: [], dict: {}}.get(type(value))


def scrub_basic(value: str, rule: SecretRule) -> str:
    """`Basic base64(id:secret)` with the secret replaced by its stand-in."""
    try:
        client_id, sep, secret = base64.b64decode(value[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "Basic " + MASK
    return "Basic " + base64.b64encode(f"{client_id}{sep}{rule(secret)}".encode()).decode()
