"""Tu Pana API de Facturación (Chile): batch emission through the SII's free invoicer, v1 and v2."""

from typing import Any

from mockserver.core.listings import LISTINGS
from mockserver.core.plugin import Provider
from mockserver.core.runtime import ProviderRuntime
from mockserver.core.services.masking import REDACTED
from mockserver.providers.tupana import charges, events, views
from mockserver.providers.tupana.auth import ApiKey
from mockserver.providers.tupana.errors import TupanaErrors
from mockserver.providers.tupana.ratelimits import TupanaLimits
from mockserver.providers.tupana.routes import OPERATIONS
from mockserver.providers.tupana.state import LOCKED_PASSWORD, WRONG_PASSWORD, TupanaState
from mockserver.providers.tupana.triggers import trigger


def _pay(pr: ProviderRuntime, body: dict[str, Any]) -> dict[str, Any]:
    state: TupanaState = pr.state
    user = state.users.get(str(body["tenant"]))
    if user is None:
        raise LookupError(f"no sandbox {body['tenant']!r} has payment requests")
    return charges.pay(state, user, str(body["payment_request_id"])).as_json()


PROVIDER = Provider(
    **LISTINGS["tupana"].declared(),
    operations=OPERATIONS,
    errors=TupanaErrors(),
    make_state=TupanaState,
    auth=ApiKey(),
    # the write log keeps whether an SII password was a magic one, not the password
    secret_fields={"password": lambda v: v if v in (WRONG_PASSWORD, LOCKED_PASSWORD) else REDACTED},
    tenant_is_credential=True,
    rate_limits=TupanaLimits(),
    webhook_signer=events.sign,
    webhook_observer=events.observe,
    trigger_event=trigger,
    entities=views.entities,
    # the payer pays a payment request ({"tenant": <API key or its label>, "payment_request_id"})
    admin_actions={"pay-payment-request": _pay},
    correlation_header="X-Request-Id",
    scenarios={
        "rejected-by-tax-authority": {"description": "every document of the batch is rejected by the SII"},
        "tax-authority-down": {"description": "every document of the batch ends temporary_error"},
    },
)
