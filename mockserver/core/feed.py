"""What feeds the event stream (`core/services/stream.py`): the journal's requests, the lifecycles'
states, the webhook attempts and the clocks' moves, each told to the stream by the service that saw it."""

from __future__ import annotations

import base64
import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.core.services.clock import Clock
    from mockserver.core.services.journal import Entry, Journal
    from mockserver.core.services.lifecycle import Lifecycles, Track
    from mockserver.core.services.stream import Stream
    from mockserver.core.services.webhooks import Attempt, Delivery, WebhookDispatcher


def connect(
    stream: Stream, clock: Clock, journal: Journal, lifecycles: Lifecycles, webhooks: WebhookDispatcher
) -> None:
    """Each service tells the stream what it did: a request journaled, a state entered, an attempt."""

    def request(entry: Entry) -> None:
        stream.publish("request", entry.provider, entry.tenant, entry.at, entry.as_json, entry.trimmed)

    def state(track: Track, entered: str) -> None:
        key = track.key.removeprefix(f"{track.tenant}|")  # some keys carry their sandbox
        data = {"kind": track.kind, "key": key, "state": entered, "done": track.done}
        stream.publish("state", track.provider, track.tenant, clock.now(), data)

    def attempted(delivery: Delivery, attempt: Attempt, headers: dict[str, str]) -> None:
        stream.publish(
            "webhook",
            delivery.provider,
            delivery.tenant,
            attempt.at,
            functools.partial(_attempt, delivery, attempt, dict(headers)),
            functools.partial(_attempt_summary, delivery, attempt),
        )

    journal.recorded = request
    lifecycles.entered = state
    webhooks.attempted = attempted


def _attempt(delivery: Delivery, attempt: Attempt, headers: dict[str, str]) -> dict[str, Any]:
    """A delivery attempt as sent: the exact body (text, or base64 when it is not UTF-8) and headers,
    so a forwarder can send it again byte for byte with its signature intact."""
    try:
        body, encoding = delivery.body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        body, encoding = base64.b64encode(delivery.body).decode(), "base64"
    return {
        "delivery": delivery.id,
        "event": delivery.event,
        "url": delivery.url,
        "attempt": attempt.number,
        "status": attempt.status,
        "error": attempt.error,
        "duration_ms": round(attempt.duration_ms, 3),
        "state": delivery.state,
        "headers": headers,
        "body": body,
        "body_encoding": encoding,
    }


def _attempt_summary(delivery: Delivery, attempt: Attempt) -> dict[str, Any]:
    """An attempt that is no longer among the stream's newest: what it did, not what it sent."""
    shown = _attempt(delivery, attempt, {})
    return {k: v for k, v in shown.items() if k not in ("headers", "body", "body_encoding")} | {
        "trimmed": True
    }
