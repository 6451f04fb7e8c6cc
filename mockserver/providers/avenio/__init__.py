"""Avenio Cloud (Chile): Boletas de Honorarios Electrónicas, OAuth2 client_credentials, signed webhooks."""

from __future__ import annotations

import functools
from typing import Any

from mockserver.core.listings import LISTINGS
from mockserver.core.plugin import Provider
from mockserver.core.runtime import ProviderRuntime
from mockserver.core.services.masking import REDACTED
from mockserver.providers.avenio import events, views
from mockserver.providers.avenio.errors import AvenioErrors
from mockserver.providers.avenio.oauth import AvenioAuth, secret_stand_in
from mockserver.providers.avenio.ratelimits import AvenioLimits
from mockserver.providers.avenio.routes import OPERATIONS
from mockserver.providers.avenio.state import WRONG_PASSWORD, AvenioState
from mockserver.providers.avenio.triggers import trigger


def _settle(pr: ProviderRuntime, body: dict[str, Any], confirmed: bool) -> dict[str, Any]:
    state: AvenioState = pr.state
    op = state.pending_annulment(body["tenant"], body["rutUsuario"], int(body["folio"]))
    boleta = state.settle_annulment(op, confirmed=confirmed)
    return {"folio": boleta.folio, "rutEmisor": boleta.rut_emisor, "estado": boleta.estado}


PROVIDER = Provider(
    **LISTINGS["avenio"].declared(),
    operations=OPERATIONS,
    errors=AvenioErrors(),
    make_state=AvenioState,
    auth=AvenioAuth(),
    # the write log keeps a client secret's digest and whether passwordSII was the magic wrong one
    secret_fields=lambda salt: {
        "client_secret": functools.partial(secret_stand_in, salt),
        "passwordSII": lambda v: v if v == WRONG_PASSWORD else REDACTED,
    },
    rate_limits=AvenioLimits(),
    webhook_signer=events.sign,
    trigger_event=trigger,
    entities=views.entities,
    correlation_header="X-Correlation-Id",
    scenarios={
        "rejected-by-tax-authority": {"description": "the emission fails with sii_rejected"},
        "tax-authority-down": {"description": "the emission fails with sii_unavailable (retryable)"},
    },
    admin_actions={
        # the receptor answers a late annulment ({"tenant", "rutUsuario", "folio"})
        "confirm-annulment": lambda pr, body: _settle(pr, body, True),
        "reject-annulment": lambda pr, body: _settle(pr, body, False),
    },
)
