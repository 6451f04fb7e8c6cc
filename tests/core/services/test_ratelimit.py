"""Fixed windows on the mock clock: a spent bucket refuses with Retry-After; a new window refills it."""

from __future__ import annotations

import pytest

from mockserver.core.services.clock import Clock
from mockserver.core.services.ratelimit import Bucket, Exceeded, RateLimiter, limit_headers

MINUTE = Bucket("minute", 3, 60)


def test_a_bucket_admits_its_limit_then_refuses_until_the_window_ends() -> None:
    clock = Clock(600.0, frozen=True)
    limiter = RateLimiter(clock)
    remaining = [limiter.admit("t", [MINUTE], [MINUTE]).remaining for _ in range(3)]  # type: ignore[union-attr]
    assert remaining == [2, 1, 0]
    clock.advance(15)
    with pytest.raises(Exceeded) as refused:
        limiter.admit("t", [MINUTE], [MINUTE])
    assert refused.value.retry_after == 45
    clock.advance(45)
    usage = limiter.admit("t", [MINUTE], [MINUTE])
    assert usage is not None and usage.remaining == 2


def test_counters_are_per_key() -> None:
    limiter = RateLimiter(Clock(0.0, frozen=True))
    for _ in range(3):
        limiter.admit("a", [MINUTE], [MINUTE])
    with pytest.raises(Exceeded):
        limiter.admit("a", [MINUTE], [MINUTE])
    assert limiter.admit("b", [MINUTE], [MINUTE]) is not None


def test_scale_multiplies_limits_and_none_turns_them_off() -> None:
    clock = Clock(0.0, frozen=True)
    assert RateLimiter(clock, 10).limit_of(MINUTE) == 30
    assert RateLimiter(clock, 0.1).limit_of(MINUTE) == 1  # never below one
    off = RateLimiter(clock, None)
    assert not off.enabled
    for _ in range(10):
        assert off.admit("t", [MINUTE], [MINUTE]) is None


def test_a_charge_after_the_answer_counts_against_the_guard() -> None:
    limiter = RateLimiter(Clock(0.0, frozen=True))
    failures = Bucket("unauthorized", 2, 60)
    limiter.charge("t", [failures])
    limiter.charge("t", [failures])
    with pytest.raises(Exceeded):
        limiter.admit("t", [failures], [])


def test_limit_headers_use_the_providers_prefix() -> None:
    assert limit_headers(5, 4, 120.7, "X-Ratelimit") == {
        "X-Ratelimit-Limit": "5",
        "X-Ratelimit-Remaining": "4",
        "X-Ratelimit-Reset": "120",
    }
