"""tuimprenta's webhooks: the event envelope, its two HMAC-SHA256 signatures, and the retry policy."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from mockserver.core.services.clock import Clock, iso
from mockserver.core.services.ids import Ids
from mockserver.core.services.webhooks import Delivery, RetryPolicy, WebhookDispatcher
from mockserver.providers.tuimprenta.models import Account

# answer 2xx within 10 s; exponential retries for up to 24 h (the seed)
WEBHOOK_POLICY = RetryPolicy(
    max_attempts=100, base=30.0, factor=2.0, max_delay=4 * 3600.0, timeout=10.0, give_up_after=24 * 3600.0
)


def signed(envelope: dict[str, Any], secret: str) -> tuple[bytes, str]:
    """The body with its own `signature` (over the event without it), and the header's signature
    (over the exact bytes sent)."""
    inner = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    envelope["signature"] = "sha256=" + hmac.new(secret.encode(), inner, hashlib.sha256).hexdigest()
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    return body, "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notify(
    webhooks: WebhookDispatcher,
    clock: Clock,
    ids: Ids,
    account: Account,
    event: str,
    data: dict[str, Any],
    extra_url: str | None = None,
) -> list[Delivery]:
    """One delivery of `event` to each of the key's endpoints (and to a batch's own callback)."""
    targets = [(e["url"], e.get("secret") or account.secret) for e in account.endpoints]
    if extra_url:
        targets.append((extra_url, account.secret))
    sent = []
    for url, secret in targets:
        envelope: dict[str, Any] = {
            "id": "evt_" + ids.hex(16),
            "type": event,
            "data": data,
            "created_at": iso(clock.now()),
        }
        body, header = signed(envelope, secret)
        delivery = webhooks.send(
            provider="tuimprenta",
            tenant=account.key,
            event=event,
            url=url,
            body=body,
            headers={"X-Tuimprenta-Signature": header, "X-Tuimprenta-Event": event},
            policy=WEBHOOK_POLICY,
        )
        sent.append(delivery)
    return sent
