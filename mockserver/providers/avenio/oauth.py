"""OAuth2 client_credentials for Avenio: clients, scopes, RS256 access tokens, bearer checks."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import CALL
from mockserver.core.plugin import Principal, credential
from mockserver.core.services.ids import Ids
from mockserver.core.services.jwts import Jwts, Unsigned
from mockserver.core.services.keys import SigningKey
from mockserver.core.services.masking import DIGEST_PREFIX, digest_stand_in, presented_digest, salted_digest
from mockserver.core.specs import Operation
from mockserver.paths import FIXTURES

SCOPES = ("boletas.emit", "boletas.cancel", "boletas.read")
ISSUER = "https://api.uat.aveniocloud.com"
AUDIENCES = ("https://api.uat.aveniocloud.com", "https://api.sandbox.aveniocloud.com")
# magic credential: a secret starting with this is always wrong
WRONG_SECRET_PREFIX = "wrong"


def oauth_error(status: int, code: str, message: str) -> MockError:
    kind = {400: Kind.VALIDATION, 401: Kind.UNAUTHORIZED}[status]
    return MockError(kind, message, code=code, status=status)


def secret_stand_in(salt: bytes, secret: str) -> str:
    """The write log's stand-in for a client secret: its salted digest, which a replay registers (a
    wrong one stays wrong)."""
    if secret.startswith(WRONG_SECRET_PREFIX):
        return WRONG_SECRET_PREFIX
    return digest_stand_in(salt, secret)


@dataclass
class Client:
    client_id: str
    digest: bytes  # the secret's salted digest (masking.salted_digest): enough to check it
    scopes: tuple[str, ...]
    # the secret itself signs this client's webhooks (the shared secret); never logged, never in the
    # write log or a snapshot. After a restart it is unknown until the client's next token request
    # presents it (the fixture clients' secrets are public: they are known from the start).
    secret: str | None = None
    fixture: bool = False

    @classmethod
    def fixture_client(cls, salt: bytes, client_id: str, secret: str, scopes: tuple[str, ...]) -> Client:
        return cls(client_id, salted_digest(salt, secret), scopes, secret, fixture=True)

    def __getstate__(self) -> dict[str, Any]:
        return {**vars(self), "secret": self.secret if self.fixture else None}

    def matches(self, digest: bytes) -> bool:
        return hmac.compare_digest(digest, self.digest)


def fixture_clients(salt: bytes) -> dict[str, Client]:
    raw = json.loads((FIXTURES / "avenio" / "clients.json").read_text(encoding="utf-8"))
    return {
        c["client_id"]: Client.fixture_client(salt, c["client_id"], c["client_secret"], tuple(c["scopes"]))
        for c in raw
    }


class Authority:
    """Clients register on first use (any id, any secret); later requests must repeat that secret."""

    def __init__(
        self, key: SigningKey, now_of: Callable[[str], float], ids: Ids, ttl: int, salt: bytes
    ) -> None:
        self.key = key
        self.now_of = now_of  # a client's time: its token is issued and expires on its test clock
        self.ids = ids
        self.ttl = ttl
        self.salt = salt
        self.clients = fixture_clients(salt)
        self.jwts = Jwts(key, issuers=[ISSUER], audiences=AUDIENCES)

    def client_credentials(self, form: dict[str, str], authorization: str | None) -> tuple[str, str]:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise oauth_error(401, "invalid_client", "Malformed HTTP Basic client credentials") from None
        if not client_id or not secret:
            raise oauth_error(
                401,
                "invalid_client",
                "Client authentication failed: client_id and client_secret are required",
            )
        return client_id, secret

    def token(self, form: dict[str, str], authorization: str | None, replay: bool = False) -> dict[str, Any]:
        """The token answer, its token `Unsigned` (`Jwts.sign_answer` signs it). `replay`: the request
        comes from the write log, whose client secrets are digests."""
        grant = form.get("grant_type")
        if not grant:
            raise oauth_error(400, "invalid_request", "grant_type is required")
        client_id, secret = self.client_credentials(form, authorization)
        known = not (replay and secret.startswith(DIGEST_PREFIX))
        digest = presented_digest(self.salt, secret, replay)
        if digest is None:
            raise oauth_error(401, "invalid_client", "Client authentication failed")
        client = self.clients.get(client_id)
        if secret.startswith(WRONG_SECRET_PREFIX) or (client is not None and not client.matches(digest)):
            raise oauth_error(401, "invalid_client", "Client authentication failed")
        if grant != "client_credentials":
            raise oauth_error(
                400,
                "unsupported_grant_type",
                f"grant_type {grant!r} is not supported; use client_credentials",
            )
        if client is None:
            client = self.clients[client_id] = Client(client_id, digest, SCOPES)
        if known:
            client.secret = secret
        requested = form.get("scope", "").split()
        unknown = [s for s in requested if s not in SCOPES]
        if unknown:
            raise oauth_error(400, "invalid_scope", f"Unknown scope: {' '.join(unknown)}")
        denied = [s for s in requested if s not in client.scopes]
        if denied:
            raise oauth_error(400, "invalid_scope", f"The client may not request: {' '.join(denied)}")
        granted = [s for s in SCOPES if s in (requested or client.scopes)]
        audience = form.get("audience") or ISSUER
        if audience not in AUDIENCES:
            raise oauth_error(400, "invalid_request", f"Unknown audience {audience!r}")
        now = int(self.now_of(client_id))
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "sub": client_id,
            "client_id": client_id,
            "scope": " ".join(granted),
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
            "jti": self.ids.uuid(),
        }
        return {
            "accessToken": Unsigned(claims),
            "tokenType": "Bearer",
            "expiresIn": self.ttl,
            "scope": " ".join(granted),
        }

    def verify(self, token: str) -> dict[str, Any]:
        claims = self.jwts.verify(token)
        if claims is None:
            raise MockError(Kind.UNAUTHORIZED, "The access token is not valid", code="invalid_token")
        now = self.now_of(str(claims.get("sub")))
        if claims["exp"] <= now:
            raise MockError(Kind.UNAUTHORIZED, "The access token has expired", code="invalid_token")
        if claims.get("nbf", 0) > now:
            raise MockError(Kind.UNAUTHORIZED, "The access token is not valid yet", code="invalid_token")
        return claims


def presented_token(request: web.Request) -> str | None:
    """`Authorization: Bearer <t>` (the BHE page) or `X-Avenio-Authorization: <t>` (the auth page)."""
    token = credential(request.headers.get("Authorization"), "bearer")
    if token:
        return token
    header = request.headers.get("X-Avenio-Authorization", "").strip()
    return credential(header, "bearer") or header or None


def insufficient_scope(lacking: list[str], required: list[str], granted: frozenset[str]) -> MockError:
    return MockError(
        Kind.FORBIDDEN,
        f"The access token lacks the scope {' '.join(lacking)}",
        code="insufficient_scope",
        detail={"required": required, "granted": sorted(granted)},
    )


class AvenioAuth:
    async def authenticate(self, request: web.Request, op: Operation) -> Principal:
        token = presented_token(request)
        if token is None:
            raise MockError(
                Kind.UNAUTHORIZED,
                "An access token is required (Authorization: Bearer <token> or "
                "X-Avenio-Authorization: <token>)",
                code="unauthorized",
            )
        authority: Authority = request[CALL].provider.state.authority
        claims = authority.verify(token)
        granted = frozenset(str(claims.get("scope", "")).split())
        if op.scope_sets and not any(needed <= granted for needed in op.scope_sets):
            lacking = min((sorted(needed - granted) for needed in op.scope_sets), key=len)
            raise insufficient_scope(lacking, sorted(op.scopes), granted)
        return Principal(str(claims["sub"]), granted, claims)

    def peek_tenant(self, request: web.Request) -> str | None:
        token = presented_token(request)
        if token is None:
            return None
        import jwt  # on first use (see core.services.jwts)

        try:
            return str(jwt.decode(token, options={"verify_signature": False}).get("sub")) or None
        except jwt.PyJWTError:
            return None
