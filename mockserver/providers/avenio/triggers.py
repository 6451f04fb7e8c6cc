"""Triggered Avenio events: an operation's, existing or made up, as its own end sends it (the envelope,
`X-Avenio-Event`, the client-secret signature and the retry policy), to its callbackUrl and to `url`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from mockserver.core.errors import MockError
from mockserver.core.plugin import Trigger

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime
    from mockserver.core.services.webhooks import Delivery
    from mockserver.providers.avenio.models import Boleta, Operation
    from mockserver.providers.avenio.state import AvenioState

# what a made-up emission asks for: one service, the receptor withholding (the quickstart's)
MADE_UP = {
    "rutUsuario": "11111111-1",
    "retencion": "receptor",
    "emisor": {"direccion": "Av. Demo 123"},
    "receptor": {
        "rut": "22222222-2",
        "nombre": "Cliente Demo",
        "direccion": "Calle 123",
        "region": 13,
        "comuna": 13114,
    },
    "prestaciones": [{"detalle": "Servicio profesional", "valor": 100000}],
}
FAILURE = {"code": "sii_unavailable", "message": "El SII no respondió a tiempo", "retryable": True}
# the boleta's state each annulment event reports
ANNULLED = {"confirmed": "anulada", "rejected": "vigente"}


def trigger(pr: ProviderRuntime, asked: Trigger) -> list[Delivery]:
    state: AvenioState = pr.state
    _, tipo, outcome = asked.type.split(".")
    op = _existing(state, asked, tipo) if asked.entity else _made_up(state, asked, tipo)
    if not (asked.url or op.callback_url):
        raise ValueError(f"operation {op.id} has no callbackUrl: give url")
    if outcome == "failed":
        shown = dataclasses.replace(op, status="failed", error=dict(FAILURE), boleta=None)
    else:
        shown = dataclasses.replace(op, status="completed", error=None, boleta=_boleta(op, outcome))
    sent = [
        state.notify(shown, asked.type, url) for url in dict.fromkeys((op.callback_url, asked.url)) if url
    ]
    return [d for d in sent if d is not None]


def _existing(state: AvenioState, asked: Trigger, tipo: str) -> Operation:
    try:
        op = state.operation(asked.sandbox, str(asked.entity))
    except MockError:
        raise LookupError(f"this client has no operation {asked.entity!r}") from None
    if op.tipo != tipo:
        raise ValueError(f"operation {op.id} is an {op.tipo}: {asked.type} is about an {tipo}")
    if op.boleta is None and tipo == "anulacion":
        raise ValueError(f"operation {op.id} never found its boleta: it has no annulment to report")
    return op


def _made_up(state: AvenioState, asked: Trigger, tipo: str) -> Operation:
    from mockserver.providers.avenio.models import Operation

    now = state.clock.now()
    request = {**MADE_UP, "fechaEmision": state.today().isoformat()}
    op = Operation(
        state.ids.uuid(), asked.sandbox, "emision", now, asked.base_url, None, None, request, updated_at=now
    )
    boleta = state.boleta_of(op, 1)
    if tipo == "emision":
        return dataclasses.replace(op, boleta=boleta)
    annulment = {"rutUsuario": boleta.rut_emisor, "folio": boleta.folio, "causa": 1, "_mode": "anulada"}
    return dataclasses.replace(op, id=state.ids.uuid(), tipo="anulacion", request=annulment, boleta=boleta)


def _boleta(op: Operation, outcome: str) -> Boleta | None:
    """The boleta as the event reports it: an annulment's in the state the event means."""
    if op.boleta is None or op.tipo == "emision":
        return op.boleta
    estado = ANNULLED.get(outcome) or op.request.get("_mode", "anulada")
    return dataclasses.replace(op.boleta, estado=estado)
