"""What one Tu Pana API key holds: its enrolled companies, SII credentials, batches, documents and
webhook endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mockserver.core.errors import Kind, MockError
from mockserver.core.services.clock import iso
from mockserver.providers.tupana.models import Batch, CessionBatch, Document, PaymentRequest

ENVIRONMENT = "sandbox"


T = TypeVar("T")


def owned(items: Mapping[str, T], ident: str, noun: str) -> T:
    """One of the user's own batches, documents or webhooks, or Tu Pana's 404 naming the parameter."""
    found = items.get(ident)
    if found is None:
        raise MockError(Kind.NOT_FOUND, f"No {noun} {ident}", code="resource_missing", field=f"{noun}_id")
    return found


@dataclass
class Credential:
    id: str
    master_entity_id: str
    tax_id: str
    status: str  # active | invalid
    error: dict[str, str] | None
    created_at: float

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "master_entity_id": self.master_entity_id,
            "tax_id": self.tax_id,
            "status": self.status,
            "environment": ENVIRONMENT,
            "error": self.error,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
        }


@dataclass
class Webhook:
    id: str
    master_entity_id: str
    url: str
    events: list[str]
    secret: str | None
    is_active: bool
    environment: str
    api_version: int
    created_at: float
    updated_at: float
    attempts: int = 0
    successes: int = 0
    last_status_code: int | None = None
    last_sent_at: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "master_entity_id": self.master_entity_id,
            "url": self.url,
            "events": self.events,
            # the secret is write-only: only whether one is set shows
            "secret": "********" if self.secret else None,
            "is_active": self.is_active,
            "environment": self.environment,
            "api_version": self.api_version,
            "success_rate": round(100 * self.successes / self.attempts, 1) if self.attempts else 100.0,
            "last_status_code": self.last_status_code,
            "last_sent_at": iso(self.last_sent_at) if self.last_sent_at else None,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


@dataclass
class User:
    key: str
    companies: dict[str, dict[str, Any]] = field(default_factory=dict)  # ment id → master entity
    credentials: dict[str, Credential] = field(default_factory=dict)
    batches: dict[str, Batch] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    folios: dict[tuple[str, str], int] = field(default_factory=dict)
    payment_requests: dict[str, PaymentRequest] = field(default_factory=dict)
    cession_batches: dict[str, CessionBatch] = field(default_factory=dict)
