"""Hacienda's state: comprobantes per sandbox, their processing on the clock, and the responses."""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockserver.core.errors import Kind, MockError
from mockserver.core.services.lifecycle import Step, Track
from mockserver.core.services.webhooks import Delivery, RetryPolicy
from mockserver.core.state import ProviderState
from mockserver.providers.hacienda import respuesta
from mockserver.providers.hacienda.clave import (
    DOCUMENT_TYPES,
    MENSAJE_TYPES,
    Clave,
    ClaveError,
    Consecutivo,
    padded_id,
    parse_fecha,
)
from mockserver.providers.hacienda.documents import DocumentError, Party, Reading, decode, read
from mockserver.providers.hacienda.idp import IdentityProvider

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime

# Magic security codes (the clave's last 8 digits) that force an outcome, like test card numbers.
FORCE_RECHAZADO = "00000003"
FORCE_PROCESANDO = "00000005"
FORCE_ERROR = "00000009"
ACCEPTED_DETAIL = "Este comprobante fue aceptado."
# The real service's retry policy is unknown; this one is documented in the README.
CALLBACK_POLICY = RetryPolicy(max_attempts=5, base=30.0, factor=2.0, timeout=10.0)
SANDBOX = "rut-stag"


def duplicate_message(clave: str) -> str:
    # four independent clients string-compare this exact text
    return f"El comprobante [{clave}] ya fue recibido anteriormente."


def not_found_message(clave: str) -> str:
    return f"No existe el recurso con Clave = [{clave}]"


@dataclass
class Comprobante:
    key: str  # the clave, or clave-consecutivoReceptor for a mensaje receptor
    clave: str
    tipo: str
    fecha: str
    received_at: float
    order: int
    emisor: Party
    receptor: Party | None
    reading: Reading
    callback_url: str | None
    sandbox: bool
    estado: str = "recibido"
    respuesta_xml: bytes | None = None
    final: str = "aceptado"
    errors: list[str] = field(default_factory=list)
    track: Track | None = field(default=None, repr=False, compare=False)  # its lifecycle's handle

    @property
    def is_mensaje(self) -> bool:
        return self.key != self.clave

    def status_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"clave": self.key, "fecha": self.fecha, "ind-estado": self.estado}
        if self.respuesta_xml is not None:
            body["respuesta-xml"] = base64.b64encode(self.respuesta_xml).decode()
        return body


def _party_json(party: Party | None) -> dict[str, str]:
    # the seed's schema requires a receptor; tiquetes may have none, so its fields stay empty
    if party is None:
        return {"tipoIdentificacion": "", "numeroIdentificacion": "", "nombre": ""}
    return {
        "tipoIdentificacion": party.tipo,
        "numeroIdentificacion": party.numero,
        "nombre": party.nombre[:80],
    }


class HaciendaState(ProviderState):
    """Per-sandbox comprobantes; a submission is read at once and decided on the lifecycle's clock."""

    def __init__(self, pr: ProviderRuntime) -> None:
        super().__init__(pr)
        rt = pr.runtime
        self.idp = IdentityProvider(
            rt.keys,
            rt.ids,
            self.sandbox_now,
            pr.options["access_token_ttl"],
            pr.options["refresh_token_ttl"],
            rt.secret_salt(),
        )
        self.tenants: dict[str, dict[str, Comprobante]] = {}
        self._order = 0

    def reset(self, tenant: str) -> None:
        self.tenants.pop(tenant, None)
        realm, _, username = tenant.partition("/")
        self.idp.passwords.pop((realm, username), None)  # the user may log in with a new password

    def _docs(self, tenant: str) -> dict[str, Comprobante]:
        return self.tenants.setdefault(tenant, {})

    def receive(self, tenant: str, payload: dict[str, Any], scenario: str | None = None) -> Comprobante:
        """Intake checks answer 400 at once; content problems are found now but told only on `rechazado`."""
        try:
            clave = Clave.parse(payload["clave"])
            parse_fecha(payload["fecha"])  # one it cannot read is a 400 now
        except ClaveError as error:
            raise MockError(Kind.VALIDATION, str(error), detail={"validation": True}) from None
        emisor_json = payload["emisor"]
        if padded_id(emisor_json["numeroIdentificacion"]) != clave.identificacion:
            raise MockError(
                Kind.VALIDATION,
                f"La identificación del emisor [{emisor_json['numeroIdentificacion']}] "
                f"no corresponde con la de la clave [{clave.text}].",
                detail={"validation": True},
            )
        key, mensaje_tipo = clave.text, None
        if payload.get("consecutivoReceptor"):
            try:
                consecutivo = Consecutivo.parse(payload["consecutivoReceptor"])
            except ClaveError as error:
                raise MockError(Kind.VALIDATION, str(error), detail={"validation": True}) from None
            if consecutivo.tipo not in MENSAJE_TYPES:
                raise MockError(
                    Kind.VALIDATION,
                    f"El consecutivoReceptor [{payload['consecutivoReceptor']}] no es "
                    "de un mensaje receptor (tipos 05, 06 o 07).",
                    detail={"validation": True},
                )
            key, mensaje_tipo = f"{clave.text}-{payload['consecutivoReceptor']}", consecutivo.tipo
        docs = self._docs(tenant)
        if key in docs:
            raise MockError(Kind.VALIDATION, duplicate_message(key), detail={"validation": False})
        try:
            reading = read(decode(payload["comprobanteXml"]), at=self.clock.utcnow())
        except DocumentError as error:
            raise MockError(Kind.VALIDATION, str(error), detail={"validation": True}) from None
        receptor_json = payload.get("receptor")
        receptor = reading.receptor
        if receptor_json and receptor is None:
            receptor = Party(receptor_json["tipoIdentificacion"], receptor_json["numeroIdentificacion"], "")
        self._order += 1
        doc = Comprobante(
            key=key,
            clave=clave.text,
            tipo=mensaje_tipo or clave.consecutivo.tipo,
            fecha=payload["fecha"].strip(),  # given back as it was sent (the seed's `-0600`, or `-06:00`)
            received_at=self.clock.now(),
            order=self._order,
            emisor=reading.emisor
            or Party(emisor_json["tipoIdentificacion"], emisor_json["numeroIdentificacion"], ""),
            receptor=receptor,
            reading=reading,
            callback_url=payload.get("callbackUrl") or None,
            sandbox=tenant.startswith(SANDBOX + "/"),
        )
        doc.errors = self._content_errors(doc, payload)
        doc.final = self._outcome(doc, clave, scenario)
        docs[key] = doc
        steps = [Step("procesando", self.options["processing_delay"])]
        if doc.final != "procesando":
            steps.append(Step(doc.final, self.options["decision_delay"]))
        doc.track = self.lifecycles.start(
            self.name,
            "comprobante",
            f"{tenant}|{key}",
            steps,
            functools.partial(self._enter, tenant, doc),
            tenant=tenant,
        )
        return doc

    def _content_errors(self, doc: Comprobante, payload: dict[str, Any]) -> list[str]:
        r = doc.reading
        errors: list[str] = []
        if r.version not in ("v4.3", "v4.4"):
            errors.append("El namespace del comprobante no corresponde a las versiones vigentes 4.3 o 4.4.")
        if r.root != DOCUMENT_TYPES[doc.tipo]:
            errors.append("El tipo de documento no corresponde.")
        if r.clave != doc.clave:
            errors.append("La clave del comprobante no corresponde con la clave enviada.")
        if doc.is_mensaje:
            if r.numero_consecutivo_receptor != payload["consecutivoReceptor"]:
                errors.append(
                    "El NumeroConsecutivoReceptor no corresponde con el consecutivoReceptor enviado."
                )
        else:
            if r.consecutivo != doc.clave[21:41]:
                errors.append("El NumeroConsecutivo no corresponde con el consecutivo de la clave.")
            if r.emisor and r.emisor.numero and padded_id(r.emisor.numero) != doc.clave[9:21]:
                errors.append("La identificación del emisor no corresponde con la de la clave.")
        if r.total is None:
            errors.append("El comprobante no indica el total (TotalComprobante / TotalFactura).")
        if not r.signature_valid:
            errors.append("La firma del comprobante electrónico no es válida")
        return errors

    def _outcome(self, doc: Comprobante, clave: Clave, scenario: str | None) -> str:
        code = clave.codigo_seguridad
        if code == FORCE_PROCESANDO or scenario == "stays-processing":
            return "procesando"
        if code == FORCE_ERROR or scenario == "processing-error":
            return "error"
        if code == FORCE_RECHAZADO:
            doc.errors.append(f"Rechazo simulado por el código de seguridad {FORCE_RECHAZADO} (mockserver).")
        if scenario == "rejected-by-tax-authority":
            doc.errors.append("Rechazo simulado por el escenario rejected-by-tax-authority (mockserver).")
        return "rechazado" if doc.errors else "aceptado"

    def _enter(self, tenant: str, doc: Comprobante, estado: str) -> None:
        doc.estado = estado
        if estado in ("aceptado", "rechazado"):
            doc.respuesta_xml = self.respuesta_of(doc, estado)
        if estado in ("aceptado", "rechazado", "error") and doc.callback_url:
            self.callback(tenant, doc, doc.callback_url)

    def callback(self, tenant: str, doc: Comprobante, url: str) -> Delivery:
        """POST the comprobante's final state to `url`, with exactly the body of GET /recepcion/{clave}."""
        return self.webhooks.send(
            provider=self.name,
            tenant=tenant,
            event=f"recepcion.{doc.estado}",
            url=url,
            body=json.dumps(doc.status_body(), ensure_ascii=False).encode(),
            policy=CALLBACK_POLICY,
        )

    def respuesta_of(self, doc: Comprobante, estado: str) -> bytes:
        detail = ACCEPTED_DETAIL if estado == "aceptado" else respuesta.error_list(doc.errors)
        if doc.sandbox:
            # the sandbox prefixes every DetalleMensaje, even a rejection's
            detail = (
                respuesta.SANDBOX_PREFIX if estado == "aceptado" else f"{respuesta.SANDBOX_PREFIX}\n{detail}"
            )
        r = doc.reading
        emisor = doc.emisor
        return respuesta.build(
            respuesta.Respuesta(
                clave=doc.clave,
                nombre_emisor=emisor.nombre,
                tipo_emisor=emisor.tipo,
                cedula_emisor=emisor.numero,
                nombre_receptor=doc.receptor.nombre if doc.receptor else None,
                tipo_receptor=doc.receptor.tipo if doc.receptor else None,
                cedula_receptor=doc.receptor.numero if doc.receptor else None,
                mensaje=respuesta.ACEPTADO if estado == "aceptado" else respuesta.RECHAZADO,
                detalle=detail,
                monto_total_impuesto=r.total_impuesto,
                total_factura=r.total or "0",
                version=r.version if r.version in ("v4.3", "v4.4") else "v4.4",
            ),
            self.keys,
            self.clock.utcnow(),
        )

    def get(self, tenant: str, key: str) -> Comprobante:
        doc = self._docs(tenant).get(key)
        if doc is None:
            raise MockError(Kind.NOT_FOUND, not_found_message(key))
        return doc

    def poll(self, tenant: str, key: str) -> Comprobante:
        """The comprobante as a client polling its status reads it (a read counts in polls mode)."""
        doc = self._docs(tenant).get(key)
        if doc is not None:
            self.lifecycles.poll(doc.track)
        return self.get(tenant, key)

    def summary(self, tenant: str, doc: Comprobante) -> dict[str, Any]:
        notes: dict[str, list[dict[str, str]]] = {"03": [], "02": []}
        for other in self._sorted(tenant):
            if other.tipo in notes and any(numero == doc.clave for _, numero in other.reading.references):
                notes[other.tipo].append({"clave": other.clave, "fecha": other.fecha})
        return {
            "clave": doc.clave,
            "fecha": doc.fecha,
            "emisor": _party_json(doc.emisor),
            "receptor": _party_json(doc.receptor),
            "notasCredito": notes["03"],
            "notasDebito": notes["02"],
        }

    def comprobante(self, tenant: str, clave: str) -> dict[str, Any]:
        doc = self._docs(tenant).get(clave)
        if doc is None or doc.is_mensaje:
            raise MockError(Kind.NOT_FOUND, not_found_message(clave))
        return self.summary(tenant, doc)

    def _sorted(self, tenant: str) -> list[Comprobante]:
        docs = [d for d in self._docs(tenant).values() if not d.is_mensaje]
        return sorted(docs, key=lambda d: (parse_fecha(d.fecha), d.order), reverse=True)

    def listing(
        self, tenant: str, *, emisor: str | None, receptor: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        def ident(party: Party | None) -> str:
            return f"{party.tipo}{padded_id(party.numero)}" if party else ""

        docs = [
            d
            for d in self._sorted(tenant)
            if (emisor is None or ident(d.emisor) == emisor)
            and (receptor is None or ident(d.receptor) == receptor)
        ]
        return [self.summary(tenant, d) for d in docs[offset : offset + limit]], len(docs)
