"""Avenio webhook signatures: `X-Avenio-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`.

The secret is the client's own `client_secret` (the shared secret). Avenio does not publish its
scheme; this one is the mock's, in the manner of Stripe's, and the README shows a verifier.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime
    from mockserver.core.services.webhooks import Delivery


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(pr: ProviderRuntime, delivery: Delivery, now: float) -> dict[str, str]:
    client = pr.state.authority.clients.get(delivery.tenant)
    if client is None or client.secret is None:
        # reset away, or restarted and not back for a token yet: unsigned rather than not sent at all
        return {}
    timestamp = int(now)
    return {"X-Avenio-Signature": f"t={timestamp},v1={signature(client.secret, timestamp, delivery.body)}"}
