"""A provider's state on its own, for the state-level tests: no app, no HTTP, a frozen clock."""

from __future__ import annotations

from typing import Any

from mockserver.core.runtime import Runtime
from tests.conftest import make_settings


def state_of(provider: str, **settings: Any) -> tuple[Runtime, Any]:
    runtime = Runtime.build(make_settings(providers=(provider,), **settings))
    return runtime, runtime.providers[provider].state


def advance(runtime: Runtime, seconds: float) -> None:
    """Move the mock clock and run what fell due, as the scheduler does between requests."""
    runtime.clock.advance(seconds)
    runtime.scheduler.run_due()
