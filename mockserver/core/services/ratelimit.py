"""Fixed-window rate limits on the mock clock, with buckets a provider chooses per request."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mockserver.core.services.clock import Clock


def limit_headers(limit: int, remaining: int, reset: float, prefix: str = "X-RateLimit") -> dict[str, str]:
    """The usual trio; `reset` as epoch seconds. The prefix keeps each provider's own casing."""
    return {
        f"{prefix}-Limit": str(limit),
        f"{prefix}-Remaining": str(remaining),
        f"{prefix}-Reset": str(int(reset)),
    }


@dataclass(frozen=True)
class Bucket:
    name: str
    limit: int
    window: float = 60.0


@dataclass(frozen=True)
class Usage:
    bucket: Bucket
    remaining: int
    reset: float  # epoch seconds when the window restarts


class Exceeded(Exception):
    def __init__(self, usage: Usage, now: float) -> None:
        super().__init__(usage.bucket.name)
        self.usage = usage
        self.retry_after = max(1, math.ceil(usage.reset - now))


class RateLimiter:
    """Counts per (key, bucket); `scale` multiplies every limit, None turns limits off."""

    def __init__(self, clock: Clock, scale: float | None = 1.0) -> None:
        self.clock = clock
        self.scale = scale
        self._counts: dict[tuple[str, str], tuple[float, int]] = {}

    @property
    def enabled(self) -> bool:
        return self.scale is not None

    def limit_of(self, bucket: Bucket) -> int:
        return max(1, int(bucket.limit * (self.scale or 1)))

    def window_end(self, bucket: Bucket) -> float:
        return math.floor(self.clock.now() / bucket.window) * bucket.window + bucket.window

    def _window(self, key: str, bucket: Bucket) -> tuple[float, int]:
        start = self.window_end(bucket) - bucket.window
        seen_start, count = self._counts.get((key, bucket.name), (start, 0))
        return (start, 0) if seen_start != start else (start, count)

    def usage(self, key: str, bucket: Bucket) -> Usage:
        start, count = self._window(key, bucket)
        return Usage(bucket, max(0, self.limit_of(bucket) - count), start + bucket.window)

    def admit(
        self, key: str, guard: Sequence[Bucket], charge: Sequence[Bucket], shown: Bucket | None = None
    ) -> Usage | None:
        """Refuse if any guarded bucket is spent; else count `charge` now.

        Answers the usage to show clients: the first bucket charged on admission (it counts exactly,
        request by request), else the tightest guarded one.
        """
        if not self.enabled:
            return None
        if not guard:
            return self.usage(key, shown) if shown else None
        usages = [self.usage(key, b) for b in guard]
        spent = [u for u in usages if u.remaining <= 0]
        if spent:
            raise Exceeded(max(spent, key=lambda u: u.reset), self.clock.now())
        self.charge(key, charge)
        if charge:
            return self.usage(key, charge[0])
        return min((self.usage(key, b) for b in guard), key=lambda u: u.remaining)

    def charge(self, key: str, buckets: Sequence[Bucket]) -> None:
        if not self.enabled:
            return
        for bucket in buckets:
            start, count = self._window(key, bucket)
            self._counts[(key, bucket.name)] = (start, count + 1)

    def reset(self) -> None:
        self._counts.clear()
