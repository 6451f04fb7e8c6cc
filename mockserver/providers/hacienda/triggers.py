"""Triggered Hacienda callbacks: a comprobante's final state, of one the user sent or of a made-up
factura, POSTed as its own end posts it (the body of GET /recepcion/{clave}, with a respuesta-xml the
Ministry's key signs), to its callbackUrl and to `url`."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from mockserver.core.plugin import Trigger
from mockserver.providers.hacienda.documents import Party, Reading

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime
    from mockserver.core.services.webhooks import Delivery
    from mockserver.providers.hacienda.state import Comprobante, HaciendaState

CR = timezone(timedelta(hours=-6))
REJECTED = "Rechazo simulado por un evento de prueba (mockserver)."
# a Hacienda user names its taxpayer: cpj-3-101-123456 is the cédula jurídica 3101123456
USER_ID = re.compile(r"^cpj-(\d)-(\d{3})-(\d{6})@")


def trigger(pr: ProviderRuntime, asked: Trigger) -> list[Delivery]:
    state: HaciendaState = pr.state
    estado = asked.type.removeprefix("recepcion.")
    if asked.entity is None:
        doc = _made_up(state, asked.sandbox)
    else:
        found = state.tenants.get(asked.sandbox, {}).get(asked.entity)
        if found is None:
            raise LookupError(f"this user has no comprobante {asked.entity!r}")
        doc = found
    targets = list(dict.fromkeys(u for u in (doc.callback_url, asked.url) if u))
    if not targets:
        raise ValueError(f"comprobante {doc.key} has no callbackUrl: give url")
    errors = doc.errors or ([REJECTED] if estado == "rechazado" else [])
    shown = dataclasses.replace(doc, estado=estado, errors=errors, track=None)
    shown.respuesta_xml = state.respuesta_of(shown, estado) if estado != "error" else None
    return [state.callback(asked.sandbox, shown, url) for url in targets]


def _made_up(state: HaciendaState, sandbox: str) -> Comprobante:
    """A factura of the user's taxpayer, sent now, to a physical person (not kept)."""
    from mockserver.providers.hacienda.state import SANDBOX, Comprobante

    user = sandbox.partition("/")[2]
    match = USER_ID.match(user)
    numero = "".join(match.groups()) if match else "3101123456"
    emisor = Party("02", numero, "Contribuyente de prueba" if match else "Razón Social S.A.")
    receptor = Party("01", "109560664", "María Rodríguez Mora")
    when = datetime.fromtimestamp(state.clock.now(), CR)
    consecutivo = f"0010000101{state.ids.digits(10)}"
    clave = f"506{when:%d%m%y}{emisor.numero.zfill(12)}{consecutivo}1{state.ids.digits(8)}"
    reading = Reading(
        "FacturaElectronica",
        "v4.4",
        clave,
        consecutivo,
        emisor,
        receptor,
        "1300.00000",
        "11300.00000",
        signature_valid=True,
    )
    return Comprobante(
        key=clave,
        clave=clave,
        tipo="01",
        fecha=when.isoformat(timespec="seconds"),
        received_at=when.timestamp(),
        order=0,
        emisor=emisor,
        receptor=receptor,
        reading=reading,
        callback_url=None,
        sandbox=sandbox.startswith(SANDBOX + "/"),
    )
