"""Hacienda's identity provider, a Keycloak realm: password and refresh grants, RS256 JWTs, sessions."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import CALL
from mockserver.core.plugin import Principal, credential
from mockserver.core.services.jwts import Jwts, Unsigned
from mockserver.core.services.keys import SigningKey
from mockserver.core.services.masking import presented_digest
from mockserver.core.specs import Operation

IDP_ORIGIN = "https://idp.comprobanteselectronicos.go.cr"
REALMS = {"rut-stag": "api-stag", "rut": "api-prod"}  # realm → its one public client
SANDBOX_REALM = "rut-stag"
# magic credential: a password starting with this fails like a wrong password does
WRONG_PASSWORD_PREFIX = "wrong"
USER_NAMESPACE = uuid.UUID("6f0d8a4e-3c1b-4e58-9a57-1c2b3d4e5f60")


def issuer(realm: str) -> str:
    return f"{IDP_ORIGIN}/auth/realms/{realm}"


def keycloak_error(status: int, error: str, description: str | None = None) -> MockError:
    return MockError(
        Kind.VALIDATION if status == 400 else Kind.UNAUTHORIZED,
        description or error,
        code=error,
        status=status,
    )


# sessions a user keeps; a login past it ends the user's oldest, as Keycloak's user session limit does
# with "terminate oldest session", so one user's logins in a loop cannot grow the mock without bound
SESSIONS_PER_USER = 100
REVOKED_KEPT = 1024  # revoked tokens kept before the expired ones among them are let go


@dataclass
class Session:
    id: str
    realm: str
    username: str
    active: bool = True


class IdentityProvider:
    """Issues and checks tokens; sessions end at logout, and refresh tokens of an ended session die.
    `now_of` is a sandbox's time: a token is issued and expires on its user's test clock."""

    def __init__(
        self,
        key: SigningKey,
        ids: Any,
        now_of: Callable[[str], float],
        access_ttl: int,
        refresh_ttl: int,
        salt: bytes = b"",
    ) -> None:
        self.key = key
        self.salt = salt
        # (realm, username) → the salted digest of the password it first logged in with
        self.passwords: dict[tuple[str, str], bytes] = {}
        self.ids = ids
        self.now_of = now_of
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.sessions: dict[str, Session] = {}
        # (realm, username) → its session ids, oldest first
        self.of_user: dict[tuple[str, str], list[str]] = {}
        # ids (jti) of access tokens revoked before they expired → their claims (those that have
        # expired since are let go once there are REVOKED_KEPT: an expired token is refused anyway)
        self.revoked: dict[str, dict[str, Any]] = {}
        self.jwts = Jwts(key, issuers=[issuer(r) for r in REALMS])

    def token(self, realm: str, form: dict[str, str], replaying: bool = False) -> dict[str, Any]:
        """The token answer, its tokens `Unsigned` (`Jwts.sign_answer` signs them)."""
        client = self._client(realm, form)
        grant = form.get("grant_type")
        if not grant:
            raise keycloak_error(400, "invalid_request", "Missing form parameter: grant_type")
        if grant == "password":
            username = form.get("username", "").strip().lower()
            password = form.get("password", "")
            if not username or not password or password.startswith(WRONG_PASSWORD_PREFIX):
                raise keycloak_error(401, "invalid_grant", "Invalid user credentials")
            digest = presented_digest(self.salt, password, replaying)
            if digest is None or not hmac.compare_digest(
                self.passwords.setdefault((realm, username), digest), digest
            ):  # a user keeps its first password
                raise keycloak_error(401, "invalid_grant", "Invalid user credentials")
            session = Session(self.ids.uuid(), realm, username)
            self.sessions[session.id] = session
            kept = self.of_user.setdefault((realm, username), [])
            kept.append(session.id)
            while len(kept) > SESSIONS_PER_USER:  # its tokens are no longer active: the session is gone
                self.sessions.pop(kept.pop(0), None)
            return self._issue(realm, client, session)
        if grant == "refresh_token":
            claims = self._check_refresh(realm, client, form.get("refresh_token", ""))
            session = self.sessions[claims["sid"]]
            return self._issue(realm, client, session)
        raise keycloak_error(400, "unsupported_grant_type", "Unsupported grant_type")

    def logout(self, realm: str, form: dict[str, str]) -> None:
        client = self._client(realm, form)
        if not form.get("refresh_token"):
            raise keycloak_error(400, "invalid_request", "No refresh token")
        claims = self._check_refresh(realm, client, form["refresh_token"])
        self.sessions[claims["sid"]].active = False

    def active_claims(self, realm: str, token: str) -> dict[str, Any] | None:
        """A token's claims while Keycloak would call it active: signed here, of this realm, not
        expired, not revoked, its session not ended."""
        claims = self.jwts.verify(token) if token else None
        if claims is None or claims.get("iss") != issuer(realm) or claims["exp"] <= self._now(claims):
            return None
        session = self.sessions.get(claims.get("sid", ""))
        if session is None or not session.active or claims.get("jti") in self.revoked:
            return None
        return claims

    def userinfo(self, realm: str, authorization: str | None, form_token: str | None) -> dict[str, Any]:
        self.check_realm(realm)
        token = credential(authorization, "bearer") or form_token or ""
        claims = self.active_claims(realm, token)
        if claims is None or claims.get("typ") != "Bearer":
            failed = 'error="invalid_token", error_description="Token verification failed"'
            challenge = f'Bearer realm="{realm}", {failed}'
            raise MockError(
                Kind.UNAUTHORIZED,
                "Token verification failed",
                code="invalid_token",
                status=401,
                headers={"WWW-Authenticate": challenge},
            )
        return {
            "sub": claims["sub"],
            "email_verified": bool(claims.get("email_verified", False)),
            "preferred_username": claims["preferred_username"],
        }

    def introspect(self, realm: str, form: dict[str, str]) -> dict[str, Any]:
        self._client(realm, form)
        if not form.get("token"):
            raise keycloak_error(400, "invalid_request", "Token not provided")
        claims = self.active_claims(realm, form["token"])
        if claims is None:
            return {"active": False}
        session = self.sessions[claims["sid"]]
        return {**claims, "client_id": claims["azp"], "username": session.username, "active": True}

    def revoke(self, realm: str, form: dict[str, str]) -> None:
        """A refresh token ends its session; an access token is refused from now on. A token that is not
        one of this realm's is answered 200 all the same (RFC 7009)."""
        client = self._client(realm, form)
        if not form.get("token"):
            raise keycloak_error(400, "invalid_request", "Token not provided")
        claims = self.active_claims(realm, form["token"])
        if claims is None:
            return
        if claims.get("azp") != client:
            raise keycloak_error(400, "invalid_request", "Unmatching clients")
        if claims.get("typ") == "Refresh":
            self.sessions[claims["sid"]].active = False
        else:
            if len(self.revoked) >= REVOKED_KEPT:
                self.revoked = {j: c for j, c in self.revoked.items() if c["exp"] > self._now(c)}
            self.revoked[str(claims["jti"])] = claims

    @staticmethod
    def check_realm(realm: str) -> None:
        if realm not in REALMS:
            raise MockError(Kind.NOT_FOUND, "Realm does not exist", code="Realm does not exist", status=404)

    def _client(self, realm: str, form: dict[str, str]) -> str:
        self.check_realm(realm)
        client = form.get("client_id", "")
        if client != REALMS[realm]:
            raise keycloak_error(401, "invalid_client", "Invalid client or Invalid client credentials")
        return client

    def _issue(self, realm: str, client: str, session: Session) -> dict[str, Any]:
        now = int(self.now_of(f"{realm}/{session.username}"))
        common = {
            "iat": now,
            "iss": issuer(realm),
            "aud": client,
            "sub": str(uuid.uuid5(USER_NAMESPACE, f"{realm}/{session.username}")),
            "azp": client,
            "session_state": session.id,
            "sid": session.id,
            "scope": "profile email",
        }
        access = {
            **common,
            "exp": now + self.access_ttl,
            "jti": self.ids.uuid(),
            "typ": "Bearer",
            "preferred_username": session.username,
            "email_verified": False,
        }
        # the user's name in the refresh token too (Keycloak's carries only `sub`): a cluster's balancer
        # reads it there to send a refresh or a logout to the worker that holds the session
        refresh = {
            **common,
            "exp": now + self.refresh_ttl,
            "jti": self.ids.uuid(),
            "typ": "Refresh",
            "preferred_username": session.username,
        }
        return {
            "access_token": Unsigned(access),
            "expires_in": self.access_ttl,
            "refresh_expires_in": self.refresh_ttl,
            "refresh_token": Unsigned(refresh),
            "token_type": "bearer",
            "not-before-policy": 0,
            "session_state": session.id,
            "scope": "profile email",
        }

    def _check_refresh(self, realm: str, client: str, token: str) -> dict[str, Any]:
        claims = self.jwts.verify(token)
        if claims is None or claims.get("typ") != "Refresh" or claims.get("iss") != issuer(realm):
            raise keycloak_error(400, "invalid_grant", "Invalid refresh token")
        if claims.get("azp") != client:
            raise keycloak_error(
                400, "invalid_grant", "Invalid refresh token. Token client and authorized client don't match"
            )
        session = self.sessions.get(claims.get("sid", ""))
        if claims["exp"] <= self._now(claims) or session is None or not session.active:
            raise keycloak_error(400, "invalid_grant", "Token is not active")
        return claims

    def access_claims(self, authorization: str | None) -> dict[str, Any]:
        token = credential(authorization, "bearer")
        if token is None:
            raise MockError(Kind.UNAUTHORIZED, "Falta el token de acceso (Authorization: bearer <token>).")
        claims = self.jwts.verify(token)
        if claims is None or claims.get("typ") != "Bearer":
            raise MockError(Kind.UNAUTHORIZED, "El token de acceso no es válido.")
        now = self._now(claims)
        if claims["exp"] <= now:
            raise MockError(Kind.UNAUTHORIZED, "El token de acceso expiró.")
        if claims.get("nbf", 0) > now:
            raise MockError(Kind.UNAUTHORIZED, "El token de acceso aún no es válido.")
        return claims

    def _now(self, claims: dict[str, Any]) -> float:
        return self.now_of(tenant_of(claims))

    def reset(self) -> None:
        self.sessions.clear()
        self.of_user.clear()
        self.revoked.clear()


SANDBOX_HOSTS = frozenset({"api-sandbox.comprobanteselectronicos.go.cr"})
PRODUCTION_HOST = "api.comprobanteselectronicos.go.cr"


def environment_realm(request: web.Request) -> str | None:
    """The realm whose tokens this recepción accepts: `rut-stag` on `recepcion-sandbox` and on the
    sandbox host, `rut` on production's host; None (either) on the mount's `/recepcion/v1`, which is the
    path of production and of the newer sandbox host alike, so a client whose base URL was swapped for
    the mock's keeps working, and off recepción (the control plane takes either)."""
    if "/recepcion" not in request.path:
        return None
    host = request.host.rsplit(":", 1)[0].lower() if request.host else ""
    if "/recepcion-sandbox/" in request.path or host in SANDBOX_HOSTS:
        return "rut-stag"
    return "rut" if host == PRODUCTION_HOST else None


def shard_key(sandbox: str) -> str:
    """What a balancer reads for a sandbox (`<realm>/<username>`): the username, as the password form,
    the refresh token and the access token all name it."""
    return sandbox.partition("/")[2]


def tenant_of(claims: dict[str, Any]) -> str:
    realm = str(claims.get("iss", "")).rsplit("/", 1)[-1]
    return f"{realm}/{claims.get('preferred_username', '')}"


class BearerAuth:
    """Recepción requires a live access token of either realm; the token's user is the sandbox."""

    async def authenticate(self, request: web.Request, op: Operation) -> Principal:
        idp: IdentityProvider = request[CALL].provider.state.idp
        claims = idp.access_claims(request.headers.get("Authorization"))
        realm = environment_realm(request)
        if realm is not None and str(claims.get("iss", "")).rsplit("/", 1)[-1] != realm:
            # a staging token on production, or a production token on the sandbox
            raise MockError(Kind.UNAUTHORIZED, "El token de acceso no es válido en este ambiente.")
        return Principal(tenant_of(claims), claims=claims)

    def peek_tenant(self, request: web.Request) -> str | None:
        _, _, token = request.headers.get("Authorization", "").partition(" ")
        import jwt  # on first use (see core.services.jwts)

        try:
            claims = jwt.decode(token.strip(), options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        return tenant_of(claims)
