"""RS256 JWTs with the mock's key: signed once, verified once per token (a bounded cache)."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

from mockserver.core.services.keys import SigningKey


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

    def sign(self, claims: dict[str, Any]) -> str:
        import jwt  # with cryptography, on first use: ~8 MB and ~50 ms that start-up does not pay

        return jwt.encode(claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})

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
