"""Avenio's state: OAuth clients, asynchronous operations, boletas and folios per issuer RUT."""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from mockserver.core.errors import Kind, MockError
from mockserver.core.kit import rut
from mockserver.core.services.clock import iso
from mockserver.core.services.lifecycle import Step
from mockserver.core.services.signed_urls import SignedUrls, derived_secret
from mockserver.core.services.webhooks import Delivery, RetryPolicy
from mockserver.core.state import ProviderState
from mockserver.providers.avenio import cut, retention
from mockserver.providers.avenio.models import Boleta, Books, Operation
from mockserver.providers.avenio.oauth import Authority

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime

CHILE = ZoneInfo("America/Santiago")
WEBHOOK_POLICY = RetryPolicy(max_attempts=8, base=5.0, factor=2.0, timeout=10.0)
# Magic values, like test card numbers (documented in the README).
WRONG_PASSWORD = "wrong-password"
RECEPTOR_SII_REJECTS = "66666666-6"
RECEPTOR_SII_DOWN = "77777777-7"
RECEPTOR_SLOW = "88888888-8"


class AvenioState(ProviderState):
    def __init__(self, pr: ProviderRuntime) -> None:
        super().__init__(pr)
        rt = pr.runtime
        self.authority = Authority(
            rt.keys, self.sandbox_now, rt.ids, pr.options["token_ttl"], rt.secret_salt()
        )
        self.links = SignedUrls(functools.partial(derived_secret, rt.keys, b"avenio-downloads"), rt.clock)
        self.books: dict[str, Books] = {}
        self.documents: dict[str, Boleta] = {}

    def reset(self, tenant: str) -> None:
        for boleta in self.books.pop(tenant, Books()).boletas.values():
            self.documents.pop(boleta.id, None)

    def _books(self, tenant: str) -> Books:
        return self.books.setdefault(tenant, Books())

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock.now(), CHILE).date()

    # --- SII login (the password is judged here and never kept) -------------------------------------

    @staticmethod
    def _login_failure(body: dict[str, Any]) -> tuple[str, str, bool] | None:
        if body["passwordSII"] != WRONG_PASSWORD:
            return None
        if body.get("esClaveUnica"):
            return "claveunica_invalid_credentials", "ClaveÚnica: RUN o clave incorrectos", False
        return "sii_invalid_credentials", "SII: RUT o clave incorrectos", False

    # --- emission ------------------------------------------------------------------------------------

    def emit(
        self,
        tenant: str,
        body: dict[str, Any],
        base_url: str,
        correlation: str | None,
        scenario: str | None = None,
    ) -> Operation:
        receptor = body["receptor"]
        fecha = date.fromisoformat(body["fechaEmision"])
        problems = []
        if fecha > self.today():
            problems.append({"field": "fechaEmision", "message": "fechaEmision cannot be later than today"})
        if cut.region_name(receptor["region"]) is None:
            problems.append(
                {"field": "receptor.region", "message": f"{receptor['region']} is not a CUT region code"}
            )
        comuna = cut.comuna(receptor["comuna"])
        if comuna is None:
            problems.append(
                {"field": "receptor.comuna", "message": f"{receptor['comuna']} is not a CUT comuna code"}
            )
        elif comuna["region"] != receptor["region"]:
            problems.append(
                {
                    "field": "receptor.comuna",
                    "message": f"comuna {receptor['comuna']} "
                    f"({comuna['nombre']}) is not in region {receptor['region']}",
                }
            )
        if problems:
            raise MockError(
                Kind.VALIDATION,
                problems[0]["message"],
                code="validation_error",
                status=422,
                detail={"details": problems},
            )
        receptor_rut = rut.normalize(receptor["rut"])
        outcome = self._login_failure(body)
        if outcome is None and (
            receptor_rut == RECEPTOR_SII_REJECTS or scenario == "rejected-by-tax-authority"
        ):
            outcome = ("sii_rejected", "El SII rechazó la emisión de la boleta", False)
        if outcome is None and (receptor_rut == RECEPTOR_SII_DOWN or scenario == "tax-authority-down"):
            outcome = ("sii_unavailable", "El SII no está disponible; reintente más tarde", True)
        request = {k: v for k, v in body.items() if k != "passwordSII"}
        op = self._start(
            tenant, "emision", request, base_url, correlation, outcome, slow=receptor_rut == RECEPTOR_SLOW
        )
        return op

    def _start(
        self,
        tenant: str,
        tipo: str,
        request: dict[str, Any],
        base_url: str,
        correlation: str | None,
        outcome: tuple[str, str, bool] | None,
        *,
        slow: bool = False,
    ) -> Operation:
        now = self.clock.now()
        op = Operation(
            self.ids.uuid(),
            tenant,
            tipo,
            now,
            base_url,
            request.get("callbackUrl"),
            correlation,
            request,
            outcome,
            updated_at=now,
        )
        self._books(tenant).operations[op.id] = op
        decision = self.options["slow_delay"] if slow else self.options["decision_delay"]
        steps = [Step("processing", self.options["processing_delay"]), Step("final", decision)]
        op.track = self.lifecycles.start(
            self.name, tipo, op.id, steps, functools.partial(self._enter, op), tenant=tenant
        )
        return op

    def _enter(self, op: Operation, status: str) -> None:
        op.updated_at = self.clock.now()
        if status == "processing":
            op.status = "processing"
            return
        if op.outcome is not None:
            code, message, retryable = op.outcome
            op.status, op.error = "failed", {"code": code, "message": message, "retryable": retryable}
        elif op.tipo == "emision":
            op.boleta = self._issue(op)
            op.status = "completed"
        else:
            self._void(op)
            op.status = "completed"
        self.notify(op, f"bhe.{op.tipo}.{op.status}")

    def _issue(self, op: Operation) -> Boleta:
        books = self._books(op.tenant)
        emisor = rut.normalize(op.request["rutUsuario"])
        books.folios[emisor] = folio = books.folios.get(emisor, 0) + 1
        boleta = self.boleta_of(op, folio)
        books.boletas[(emisor, folio)] = boleta
        self.documents[boleta.id] = boleta
        return boleta

    def boleta_of(self, op: Operation, folio: int) -> Boleta:
        """The boleta an emission's request makes, with that folio (not kept)."""
        body = op.request
        emisor = rut.normalize(body["rutUsuario"])
        fecha = date.fromisoformat(body["fechaEmision"])
        amounts = retention.amounts([p["valor"] for p in body["prestaciones"]], fecha)
        receptor = body["receptor"]
        return Boleta(
            id=self.ids.uuid(),
            tenant=op.tenant,
            folio=folio,
            rut_emisor=emisor,
            direccion_emisor=(body.get("emisor") or {}).get("direccion", ""),
            fecha=fecha,
            receptor_rut=rut.normalize(receptor["rut"]),
            receptor_nombre=receptor["nombre"],
            receptor_direccion=receptor["direccion"],
            receptor_region=receptor["region"],
            receptor_comuna=receptor["comuna"],
            prestaciones=[dict(p) for p in body["prestaciones"]],
            bruto=amounts.bruto,
            tasa=f"{amounts.tasa:g}",
            retencion=amounts.retencion,
            liquido=amounts.liquido,
            retenedor=body["retencion"],
            codigo_verificacion=self.ids.hex(12).upper(),
        )

    # --- annulment -----------------------------------------------------------------------------------

    def annul(self, tenant: str, body: dict[str, Any], base_url: str, correlation: str | None) -> Operation:
        emisor = rut.normalize(body["rutUsuario"])
        boleta = self._books(tenant).boletas.get((emisor, body["folio"]))
        if boleta is None:
            raise MockError(
                Kind.NOT_FOUND,
                f"The issuer {emisor} has no boleta with folio {body['folio']}",
                code="folio_not_found",
            )
        if boleta.estado == "anulada":
            raise MockError(
                Kind.CONFLICT, f"Boleta {body['folio']} is already voided", code="boleta_already_voided"
            )
        if boleta.estado == "anulacion_pendiente":
            raise MockError(
                Kind.CONFLICT,
                f"Boleta {body['folio']} already has an annulment awaiting the receptor's confirmation",
                code="annulment_pending",
            )
        mode = self.annulment_mode(boleta.fecha, self.today())
        if mode is None:
            raise MockError(
                Kind.VALIDATION,
                "A boleta can only be voided until the 1st of March of the year after its issue",
                code="annulment_period_expired",
                status=422,
            )
        request = {k: v for k, v in body.items() if k != "passwordSII"}
        request["_mode"] = mode
        return self._start(tenant, "anulacion", request, base_url, correlation, self._login_failure(body))

    @staticmethod
    def annulment_mode(issued: date, today: date) -> str | None:
        """SII: voided at once until the 10th of the month after issue; from the 11th until 1 March of the
        next year it waits for the receptor ("anulación pendiente"); after that it cannot be voided."""
        year, month = (issued.year + 1, 1) if issued.month == 12 else (issued.year, issued.month + 1)
        if today <= date(year, month, 10):
            return "anulada"
        if today < date(issued.year + 1, 3, 1):
            return "anulacion_pendiente"
        return None

    def _void(self, op: Operation) -> None:
        boleta = self._books(op.tenant).boletas[
            (rut.normalize(op.request["rutUsuario"]), op.request["folio"])
        ]
        boleta.estado = op.request["_mode"]
        op.boleta = boleta
        if boleta.estado == "anulacion_pendiente":
            self.lifecycles.start(
                self.name,
                "confirmacion_receptor",
                boleta.id,
                [Step("anulada", self.options["receptor_confirmation_delay"])],
                functools.partial(self._confirm_by_timeout, op),
                tenant=op.tenant,
            )

    def _confirm_by_timeout(self, op: Operation, _state: str) -> None:
        self.settle_annulment(op, confirmed=True)

    def settle_annulment(self, op: Operation, *, confirmed: bool) -> Boleta:
        boleta = op.boleta
        assert boleta is not None
        if boleta.estado != "anulacion_pendiente":
            raise ValueError(f"boleta {boleta.folio} has no annulment awaiting confirmation")
        boleta.estado = "anulada" if confirmed else "vigente"
        self.lifecycles.forget_key(self.name, "confirmacion_receptor", boleta.id)
        self.notify(op, "bhe.anulacion.confirmed" if confirmed else "bhe.anulacion.rejected")
        return boleta

    def pending_annulment(self, tenant: str, emisor: str, folio: int) -> Operation:
        for op in self._books(tenant).operations.values():
            if (
                op.tipo == "anulacion"
                and op.boleta is not None
                and op.boleta.rut_emisor == rut.normalize(emisor)
                and op.boleta.folio == folio
                and op.boleta.estado == "anulacion_pendiente"
            ):
                return op
        raise LookupError(f"no annulment of folio {folio} by {emisor} awaits confirmation in {tenant!r}")

    # --- reading -------------------------------------------------------------------------------------

    def operation(self, tenant: str, operation_id: str) -> Operation:
        op = self._books(tenant).operations.get(operation_id)
        if op is None:
            raise MockError(Kind.NOT_FOUND, f"No operation {operation_id}", code="operation_not_found")
        return op

    def poll(self, tenant: str, operation_id: str) -> Operation:
        """The operation as a client polling its status reads it (a read counts in polls mode)."""
        op = self.operation(tenant, operation_id)
        self.lifecycles.poll(op.track)
        return op

    def as_json(self, op: Operation) -> dict[str, Any]:
        data: dict[str, Any] = {
            "operationId": op.id,
            "tipo": op.tipo,
            "status": op.status,
            "createdAt": iso(op.created_at),
            "updatedAt": iso(op.updated_at),
        }
        if op.error:
            data["error"] = op.error
        b = op.boleta
        if op.status == "completed" and b is not None:
            if op.tipo == "anulacion":
                data["result"] = {
                    "folio": b.folio,
                    "rutEmisor": b.rut_emisor,
                    "causa": op.request["causa"],
                    "estado": b.estado,
                }
            else:
                pdf_path, xml_path, expires = self.file_links(b)
                data["result"] = {
                    "folio": b.folio,
                    "rutEmisor": b.rut_emisor,
                    "fechaEmision": b.fecha.isoformat(),
                    "bruto": b.bruto,
                    "tasaRetencion": b.tasa,
                    "retencion": b.retencion,
                    "liquido": b.liquido,
                    "retenedor": b.retenedor,
                    "codigoVerificacion": b.codigo_verificacion,
                    "estado": b.estado,
                    "pdfUrl": op.base_url + pdf_path,
                    "xmlUrl": op.base_url + xml_path,
                    "urlsExpiranEn": iso(expires),
                }
        return data

    def file_links(self, boleta: Boleta) -> tuple[str, str, int]:
        """The boleta's PDF and XML paths, signed for `download_ttl` seconds, and when they expire."""
        ttl = self.options["download_ttl"]
        pdf, expires = self.links.sign(f"/api/v1/bhe/documentos/{boleta.id}.pdf", ttl)
        xml, _ = self.links.sign(f"/api/v1/bhe/documentos/{boleta.id}.xml", ttl)
        return pdf, xml, expires

    def document(self, document_id: str, path: str, expires: str | None, signature: str | None) -> Boleta:
        boleta = self.documents.get(document_id)
        now = self.sandbox_now(boleta.tenant) if boleta is not None else None  # on its owner's clock
        problem = self.links.problem(path, expires, signature, now)
        if problem:
            raise MockError(Kind.FORBIDDEN, problem, code="invalid_signature")
        if boleta is None:
            raise MockError(Kind.NOT_FOUND, "No such document", code="document_not_found")
        return boleta

    # --- webhooks ------------------------------------------------------------------------------------

    def notify(self, op: Operation, event: str, url: str | None = None) -> Delivery | None:
        """The operation's event, to its callbackUrl (or `url`)."""
        url = url or op.callback_url
        if not url:
            return None
        payload = {
            "id": self.ids.uuid(),
            "type": event,
            "createdAt": iso(self.clock.now()),
            "correlationId": op.correlation_id,
            "data": self.as_json(op),
        }
        headers = {"X-Avenio-Event": event}
        if op.correlation_id:
            headers["X-Correlation-Id"] = op.correlation_id
        return self.webhooks.send(
            provider=self.name,
            tenant=op.tenant,
            event=event,
            url=url,
            body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
            headers=headers,
            policy=WEBHOOK_POLICY,
        )
