"""Per-attempt webhook headers: `X-Pana-Delivery` (a uuid per attempt) and `X-Pana-Timestamp` (ISO 8601)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockserver.core.services.clock import iso

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime
    from mockserver.core.services.webhooks import Attempt, Delivery


def sign(pr: ProviderRuntime, delivery: Delivery, now: float) -> dict[str, str]:
    # the signature covers the body only and is set once; these two change with every attempt
    return {"X-Pana-Delivery": pr.runtime.ids.uuid(), "X-Pana-Timestamp": iso(now)}


def observe(pr: ProviderRuntime, delivery: Delivery, attempt: Attempt) -> None:
    pr.state.observe(delivery, attempt)
