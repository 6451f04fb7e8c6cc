"""tuimprenta.digital (Venezuela): invoices, CSV/JSON batches, downloads, cursor lists, signed webhooks."""

from __future__ import annotations

from typing import Any

from mockserver.core.listings import LISTINGS
from mockserver.core.plugin import Provider
from mockserver.core.runtime import ProviderRuntime
from mockserver.providers.tuimprenta import views
from mockserver.providers.tuimprenta.auth import BearerKey
from mockserver.providers.tuimprenta.errors import TuimprentaErrors
from mockserver.providers.tuimprenta.ratelimits import TuimprentaLimits
from mockserver.providers.tuimprenta.routes import OPERATIONS
from mockserver.providers.tuimprenta.state import TuimprentaState
from mockserver.providers.tuimprenta.triggers import trigger


def _webhooks(pr: ProviderRuntime, body: dict[str, Any]) -> dict[str, Any]:
    """{"tenant": <api key>, "url"?, "secret"?}: add an endpoint (and/or set the key's secret); show them."""
    state: TuimprentaState = pr.state
    account = state.account(body["tenant"])
    if body.get("secret") and not body.get("url"):
        account.secret = body["secret"]
    if body.get("url"):
        account.endpoints.append({"url": body["url"], "secret": body.get("secret")})
    return {"secret": account.secret, "endpoints": [e["url"] for e in account.endpoints]}


def _emails(pr: ProviderRuntime, body: dict[str, Any]) -> dict[str, Any]:
    state: TuimprentaState = pr.state
    return {"emails": state.account(body["tenant"]).emails}


PROVIDER = Provider(
    **LISTINGS["tuimprenta"].declared(),
    operations=OPERATIONS,
    errors=TuimprentaErrors(),
    make_state=TuimprentaState,
    auth=BearerKey(),
    tenant_is_credential=True,
    rate_limits=TuimprentaLimits(),
    spec_aliases=("/assets/api/openapi.yaml",),
    scenarios={
        "rejected-by-tax-authority": {
            "status": 402,
            "code": "E2000",
            "message": "Rechazado por validación fiscal (escenario)",
        }
    },
    admin_actions={"webhooks": _webhooks, "emails": _emails},
    trigger_event=trigger,
    entities=views.entities,
    entity_file=views.entity_file,
)
