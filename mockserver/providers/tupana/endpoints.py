"""The API key's webhook endpoints: one per enrolled company, with the events it wants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.errors import Kind, MockError
from mockserver.providers.tupana.accounts import User, Webhook

if TYPE_CHECKING:
    from mockserver.providers.tupana.state import TupanaState


def create(state: TupanaState, user: User, body: dict[str, Any]) -> Webhook:
    ment = body["master_entity_id"]
    if ment not in user.companies:
        raise MockError(
            Kind.NOT_FOUND,
            f"No enrolled company {ment}: create a credential for it first",
            code="master_entity_not_found",
            field="master_entity_id",
        )
    if any(w.master_entity_id == ment for w in user.webhooks.values()):
        raise MockError(
            Kind.CONFLICT,
            "This company already has a webhook: one webhook per company",
            code="webhook_already_exists",
            field="master_entity_id",
        )
    now = state.clock.now()
    hook = Webhook(
        "dowe_" + state.ids.hex(16),
        ment,
        body["url"],
        list(body["events"]),
        body.get("secret"),
        body.get("is_active", True),
        body.get("environment", "both"),
        body.get("api_version", 2),
        now,
        now,
    )
    user.webhooks[hook.id] = hook
    return hook


def update(state: TupanaState, hook: Webhook, body: dict[str, Any]) -> Webhook:
    for key in ("url", "events", "secret", "is_active", "environment", "api_version"):
        if key in body:
            setattr(hook, key, body[key])
    hook.updated_at = state.clock.now()
    return hook
