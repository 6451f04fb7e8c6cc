"""Idempotency keys: the same key and body replay the first response; another body conflicts."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class KeyReused(Exception):
    """The key was first used with a different request body."""


class IdempotencyStore:
    """Remembers responses per (provider, tenant, key); bounded, oldest forgotten first."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._stored: OrderedDict[tuple[str, str, str], Stored] = OrderedDict()

    @staticmethod
    def fingerprint(operation: str, body: bytes) -> str:
        return hashlib.sha256(operation.encode() + b"\0" + body).hexdigest()

    def lookup(self, scope: tuple[str, str, str], fingerprint: str) -> Stored | None:
        stored = self._stored.get(scope)
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise KeyReused(scope[2])
        return stored

    def remember(self, scope: tuple[str, str, str], stored: Stored) -> None:
        self._stored[scope] = stored
        while len(self._stored) > self._size:
            self._stored.popitem(last=False)

    def saved(self) -> OrderedDict[tuple[str, str, str], Stored]:
        """What a snapshot keeps (see `core.snapshot`)."""
        return self._stored

    def put_back(self, saved: OrderedDict[tuple[str, str, str], Stored]) -> None:
        self._stored = saved

    def clear(self, provider: str | None = None, tenant: str | None = None) -> None:
        for scope in list(self._stored):
            if (provider is None or scope[0] == provider) and (tenant is None or scope[1] == tenant):
                del self._stored[scope]
