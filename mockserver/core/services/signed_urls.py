"""Temporary download links: an HMAC over path and expiry, checked on the mock clock (or the owner's
test clock) when fetched."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import cached_property
from urllib.parse import urlencode

from mockserver.core.services.clock import Clock
from mockserver.core.services.keys import SigningKey


def derived_secret(keys: SigningKey, label: bytes) -> bytes:
    """A provider's link key, derived from the mock's signing key: links outlive a restart with it."""
    return hashlib.sha256(label + b"\0" + keys.private_pem).digest()


class SignedUrls:
    """`secret` makes the HMAC key on first use (it derives from the signing key, read lazily)."""

    def __init__(self, secret: Callable[[], bytes], clock: Clock) -> None:
        self._make_secret = secret
        self.clock = clock

    @cached_property
    def _secret(self) -> bytes:
        return self._make_secret()

    def _mac(self, path: str, expires: int) -> str:
        message = f"{path}\n{expires}".encode("utf-8", "surrogatepass")  # paths are whatever clients send
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, path: str, ttl: float) -> tuple[str, int]:
        """`path?expires=…&signature=…` valid for `ttl` seconds of mock time, and the expiry."""
        expires = int(self.clock.now() + ttl)
        return f"{path}?{urlencode({'expires': expires, 'signature': self._mac(path, expires)})}", expires

    def problem(
        self, path: str, expires: str | None, signature: str | None, now: float | None = None
    ) -> str | None:
        """Why a presented link is refused, or None when it is good; `now`: the time of the sandbox
        that owns what it opens (the clock's, when not given)."""
        if not expires or not signature or not (expires.isascii() and expires.isdigit()):
            return "The link is not signed"
        presented = signature.encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(self._mac(path, int(expires)).encode(), presented):
            return "The link's signature does not match"
        if int(expires) < (self.clock.now() if now is None else now):
            return "The link has expired"
        return None
