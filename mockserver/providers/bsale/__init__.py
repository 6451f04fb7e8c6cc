"""Bsale API v1 (Chile): the documents resource and everything a documents client touches."""

from __future__ import annotations

from typing import Any

from mockserver.core.listings import LISTINGS
from mockserver.core.plugin import Provider
from mockserver.core.runtime import ProviderRuntime
from mockserver.providers.bsale import views
from mockserver.providers.bsale.auth import AccessToken
from mockserver.providers.bsale.errors import BsaleErrors
from mockserver.providers.bsale.ratelimits import BsaleLimits
from mockserver.providers.bsale.routes import OPERATIONS
from mockserver.providers.bsale.state import BsaleState
from mockserver.providers.bsale.triggers import trigger


def _configure_webhook(pr: ProviderRuntime, body: dict[str, Any]) -> dict[str, Any]:
    state: BsaleState = pr.state
    return state.configure_webhook(body["tenant"], body.get("url"), body.get("secret"))


def _emails(pr: ProviderRuntime, body: dict[str, Any]) -> dict[str, Any]:
    state: BsaleState = pr.state
    return {"emails": state.instance(body["tenant"]).emails}


PROVIDER = Provider(
    **LISTINGS["bsale"].declared(),
    operations=OPERATIONS,
    errors=BsaleErrors(),
    make_state=BsaleState,
    auth=AccessToken(),
    tenant_is_credential=True,
    rate_limits=BsaleLimits(),
    scenarios={"rejected-by-tax-authority": {"description": "the SII rejects the document (informedSii 2)"}},
    trigger_event=trigger,
    entities=views.entities,
    admin_actions={
        # Bsale sets notification URLs by support request; here: {"tenant": <access_token>, "url", "secret"?}
        "configure-webhook": _configure_webhook,
        # what sendEmail would have sent: {"tenant": <access_token>}
        "emails": _emails,
    },
)
