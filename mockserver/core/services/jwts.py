"""RS256 JWTs with the mock's key: signed once, on worker threads, verified once per token (a bounded
cache)."""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections import OrderedDict
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mockserver.core.services.keys import SigningKey, b64url

_signers: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """The threads that sign: OpenSSL lets go of the GIL while it signs (an RSA-2048 signature is ~0.3 ms
    here, most of a token request), so the loop serves other requests meanwhile, on another core."""
    global _signers
    if _signers is None:
        _signers = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="mockserver-rs256")
    return _signers


def signing_input(claims: dict[str, Any], kid: str) -> bytes:
    """A JWS's header and payload, base64url'd, exactly as PyJWT writes them (its header's keys sorted,
    compact JSON): the token is the one `jwt.encode` gives, with the signature made elsewhere."""
    header = json.dumps({"alg": "RS256", "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode()
    return f"{b64url(header)}.{b64url(json.dumps(claims, separators=(',', ':')).encode())}".encode()


@dataclass(frozen=True)
class Unsigned:
    """A token an answer carries, as its claims: `Jwts.sign_answer` signs it when the answer goes out."""

    claims: dict[str, Any]


class Jwts:
    """Checks signature, issuer and audience; times are the caller's to check, on the mock clock."""

    def __init__(
        self,
        key: SigningKey,
        issuers: Collection[str],
        audiences: Collection[str] | None = None,
        cache_size: int = 4096,
    ) -> None:
        self.key = key
        self.issuers = frozenset(issuers)
        self.audiences = list(audiences) if audiences else None
        self._cache_size = cache_size
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()

    async def sign_answer(self, answer: dict[str, Any]) -> dict[str, Any]:
        """`answer` with each `Unsigned` value replaced by its token, in its place; the tokens are
        signed at once, each on a worker thread."""
        from cryptography.hazmat.primitives import hashes  # on first use: ~50 ms start-up does not pay
        from cryptography.hazmat.primitives.asymmetric import padding

        # the key is read here, on the loop: the first read makes it (and keeps it) exactly once
        key, kid = self.key.private_key, self.key.kid
        fields = [name for name, value in answer.items() if isinstance(value, Unsigned)]
        inputs = [signing_input(answer[name].claims, kid) for name in fields]
        loop = asyncio.get_running_loop()
        # only OpenSSL's work goes to the thread: Python work there would wait on the loop for the GIL
        signatures = await asyncio.gather(
            *(
                loop.run_in_executor(_pool(), key.sign, data, padding.PKCS1v15(), hashes.SHA256())
                for data in inputs
            )
        )
        tokens = [
            f"{data.decode()}.{b64url(signed)}" for data, signed in zip(inputs, signatures, strict=True)
        ]
        return {**answer, **dict(zip(fields, tokens, strict=True))}

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this mock signed for these issuers and audiences; None otherwise."""
        claims = self._verified.get(token)
        if claims is not None:
            return claims
        import jwt

        try:
            claims = jwt.decode(
                token,
                self.key.private_key.public_key(),
                algorithms=["RS256"],
                audience=self.audiences,
                options={
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": self.audiences is not None,
                },
            )
        except jwt.PyJWTError:
            return None
        if claims.get("iss") not in self.issuers or not _times_are_numbers(claims):
            return None
        self._verified[token] = claims
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return claims


def _times_are_numbers(claims: dict[str, Any]) -> bool:
    """`exp` is required and, like `nbf` and `iat` where present, a number: callers compare them."""
    times = [claims.get("exp"), *(claims[k] for k in ("nbf", "iat") if k in claims)]
    return all(isinstance(t, int | float) and not isinstance(t, bool) and math.isfinite(t) for t in times)
