"""Batch documents: validation (with or without defaults), the document model and its JSON shapes."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from mockserver.core.kit import dte, rut
from mockserver.core.kit.pdf import Document as Pdf
from mockserver.core.services.clock import iso
from mockserver.providers.tupana import amounts, entities

if TYPE_CHECKING:
    from mockserver.providers.tupana.state import TupanaState, User

DTE_TYPES = {
    "33": "Factura electrónica",
    "34": "Factura no afecta o exenta electrónica",
    "39": "Boleta electrónica",
    "41": "Boleta exenta electrónica",
    "46": "Factura de compra electrónica",
    "52": "Guía de despacho electrónica",
    "56": "Nota de débito electrónica",
    "61": "Nota de crédito electrónica",
    "80": "Boleta de honorarios electrónica",
    "90": "Boleta de honorarios de terceros electrónica",
    "110": "Factura de exportación electrónica",
    "111": "Nota de débito de exportación electrónica",
    "112": "Nota de crédito de exportación electrónica",
}
NEEDS_REFERENCES = {"56", "61", "111", "112"}
BOLETAS = {"39", "41"}
# magic receptor RUTs, like test card numbers (README)
RECEIVER_REJECTED = "66666666-6"
RECEIVER_SII_DOWN = "77777777-7"
ISSUER_FIELDS = ("business_name", "business_activity", "address", "district", "city")
RECEIVER_FIELDS = ("business_name", "business_activity", "address", "district", "city")


@dataclass
class Document:
    id: str
    batch_id: str
    index: int
    dte_type: str
    sender_id: str
    sender: dict[str, Any]
    receiver: dict[str, Any]
    receiver_id: str | None
    date_issued: str
    header: dict[str, Any]
    references: list[dict[str, Any]]
    totals: amounts.Totals
    json_param: dict[str, Any] | None
    additional_info: str | None
    is_draft: bool
    problems: list[dict[str, Any]]
    planned_outcome: str  # success | rejected | temporary_error
    created_at: float
    updated_at: float
    status: str = "created"
    folio: int | None = None
    state: str | None = None
    error: dict[str, Any] | None = None
    is_paid: bool = False
    traces: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""

    @property
    def issued(self) -> bool:
        return self.folio is not None

    def links(self, state: TupanaState) -> tuple[str | None, str | None]:
        if not self.issued and not self.is_draft:
            return None, None
        ttl = state.options["download_ttl"]
        pdf, _ = state.links.sign(f"/v2/documents/{self.id}/pdf/", ttl)
        xml, _ = state.links.sign(f"/v2/documents/{self.id}/xml/", ttl)
        return self.base_url + pdf, (self.base_url + xml) if self.issued else None

    def summary(self, state: TupanaState) -> dict[str, Any]:
        pdf, _ = self.links(state)
        return {
            "id": self.id,
            "folio": str(self.folio) if self.folio else None,
            "date_issued": self.date_issued,
            "amount_with_iva": self.totals.total,
            "receiver_id": self.receiver_id,
            "is_draft": self.is_draft,
            "can_be_issued": not self.problems,
            "dte_type": {"code": self.dte_type, "description": DTE_TYPES[self.dte_type]},
            "sender": self.sender,
            "receiver": self.receiver,
            "items": self.totals.lines,
            "document_total": {
                "net": self.totals.net,
                "exempt": self.totals.exempt,
                "iva": self.totals.iva,
                "total": self.totals.total,
            },
            "pdf_url": pdf,
            "pdf_download_url": pdf,
        }

    def batch_entry(self, state: TupanaState) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "index": self.index,
            "status": self.status,
            "confirmation_pending": self.status == "processing",
            "document": self.summary(state),
        }
        if self.problems:
            entry["errors"] = self.problems
        elif self.error:
            entry["errors"] = [self.error]
        return entry

    def detail(self, state: TupanaState) -> dict[str, Any]:
        pdf, xml = self.links(state)
        return {
            "id": self.id,
            "folio": str(self.folio) if self.folio else None,
            "date_issued": self.date_issued,
            "dte_type_code": self.dte_type,
            "dte_type_description": DTE_TYPES[self.dte_type],
            "amount_with_iva": self.totals.total,
            "amount_without_iva": self.totals.net + self.totals.exempt,
            "amount_iva": self.totals.iva,
            "currency": "CLP",
            "sender_id": self.sender_id,
            "sender_name": self.sender.get("business_name", ""),
            "sender_tax_id": self.sender["rut"],
            "receiver_id": self.receiver_id,
            "receiver_name": self.receiver.get("business_name"),
            "receiver_tax_id": self.receiver.get("rut"),
            "is_paid": self.is_paid,
            "has_credit_note": False,
            "has_trace": bool(self.traces),
            "state": self.state,
            "status": self.status,
            "environment": "sandbox",
            "pdf": pdf,
            "xml": xml,
            "details": self.totals.lines,
            "references": self.references,
            "traces": self.traces,
            "json_param": self.json_param,
            "additional_info": self.additional_info,
            "error": self.error,
            "batch_id": self.batch_id,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }

    def xml(self) -> bytes:
        t = self.totals
        totales: dict[str, Any] = {
            "MntNeto": t.net or None,
            "MntExe": t.exempt or None,
            "TasaIVA": "19" if t.iva else None,
            "IVA": t.iva or None,
            "MntTotal": t.total,
        }
        return dte.build(
            dte.Dte(
                tipo=self.dte_type,
                folio=self.folio or 0,
                fecha=self.date_issued,
                forma_pago=self.header.get("payment_method"),
                emisor={
                    "RUTEmisor": self.sender["rut"],
                    "RznSoc": self.sender.get("business_name", ""),
                    "GiroEmis": self.sender.get("business_activity", ""),
                    "Acteco": self.sender.get("activity_code"),
                    "DirOrigen": self.sender.get("address"),
                    "CmnaOrigen": self.sender.get("district"),
                    "CiudadOrigen": self.sender.get("city"),
                },
                receptor={
                    "RUTRecep": self.receiver.get("rut", ""),
                    "RznSocRecep": self.receiver.get("business_name", ""),
                    "GiroRecep": self.receiver.get("business_activity"),
                    "DirRecep": self.receiver.get("address"),
                    "CmnaRecep": self.receiver.get("district"),
                    "CiudadRecep": self.receiver.get("city"),
                },
                totales=totales,
                detalles=[
                    {
                        "IndExe": 1 if line["is_exempt"] else None,
                        "NmbItem": line["item_name"],
                        "QtyItem": f"{line['quantity']:g}",
                        "PrcItem": f"{line['unit_price']:g}",
                        "DescuentoPct": f"{line['discount_percent']:g}" if line["discount_percent"] else None,
                        "MontoItem": line["amount"],
                    }
                    for line in t.lines
                ],
                referencias=[
                    {
                        "TpoDocRef": r["dte_type_code"],
                        "FolioRef": r["reference_folio"],
                        "FchRef": r["reference_date"],
                        "RazonRef": r.get("reference_reason"),
                    }
                    for r in self.references
                ],
            )
        )

    def pdf(self) -> bytes:
        doc = Pdf(title=f"{DTE_TYPES[self.dte_type]} N° {self.folio or 'BORRADOR'}")
        page = doc.page()
        page.text(40, 790, self.sender.get("business_name", ""), 13, bold=True)
        page.text(40, 775, f"RUT {self.sender['rut']} · {self.sender.get('business_activity', '')}"[:95], 8)
        page.text(40, 763, f"{self.sender.get('address', '')}, {self.sender.get('district', '')}", 8)
        page.rect(360, 735, 195, 70, 1.5)
        page.text(375, 785, f"R.U.T.: {self.sender['rut']}", 11, bold=True)
        page.text(375, 765, DTE_TYPES[self.dte_type].upper()[:28], 9, bold=True)
        page.text(375, 745, f"N° {self.folio}" if self.folio else "BORRADOR", 11, bold=True)
        page.text(40, 705, f"Fecha de emisión: {self.date_issued}")
        page.text(
            40,
            690,
            f"Señor(es): {self.receiver.get('business_name', '')}    RUT: {self.receiver.get('rut', '')}",
        )
        y = 650
        page.line(40, y + 12, 555, y + 12)
        for x, label in ((45, "Descripción"), (330, "Cantidad"), (400, "Precio"), (480, "Monto")):
            page.text(x, y, label, bold=True)
        for line in self.totals.lines:
            y -= 16
            page.text(45, y, line["item_name"][:48])
            page.text(330, y, f"{line['quantity']:g}")
            page.text(400, y, f"{line['unit_price']:,.0f}")
            page.text(480, y, f"{line['amount']:,}")
        y -= 30
        t = self.totals
        for label, value in (("Neto", t.net), ("Exento", t.exempt), ("IVA 19%", t.iva), ("Total", t.total)):
            page.text(400, y, label, bold=label == "Total")
            page.text(480, y, f"$ {value:,}".replace(",", "."), bold=label == "Total")
            y -= 15
        page.text(40, 50, "Documento de prueba (sandbox de mockserver): no tiene validez tributaria.", 8)
        return doc.render()


@dataclass
class Batch:
    id: str
    idempotency_key: str | None
    created_at: float
    updated_at: float
    is_draft: bool
    preview: bool
    status: str = "created"
    documents: list[Document] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _problem(index: int, field_name: str, code: str, message: str) -> dict[str, Any]:
    return {"document_index": index, "field": field_name, "code": code, "message": message}


def validate(
    state: TupanaState, user: User, given: dict[str, Any], index: int, *, use_defaults: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Problems (the document cannot be issued), warnings (it can, with what the API filled in) and the
    document as it will be issued."""
    problems: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    doc = {k: v for k, v in given.items()}
    dte_type = str((given.get("dte_type") or {}).get("code", ""))
    if dte_type not in DTE_TYPES:
        problems.append(
            _problem(index, "dte_type.code", "invalid_dte_type", f"Unknown DTE type {dte_type!r}")
        )
    issuer = dict(given.get("document_issuer") or {})
    receiver = dict(given.get("document_receiver") or {})
    company = None
    if not rut.is_valid(issuer.get("rut", "")) or rut.parse(str(issuer.get("rut", ""))) is None:
        problems.append(_problem(index, "document_issuer.rut", "invalid_rut", "The issuer RUT is not valid"))
    else:
        issuer["rut"] = rut.normalize(issuer["rut"])
        company = user.companies.get(entities.entity_id(issuer["rut"]))
        if company is None:
            problems.append(
                _problem(
                    index,
                    "document_issuer.rut",
                    "company_not_enrolled",
                    f"{issuer['rut']} is not enrolled under this API key: create a credential",
                )
            )
        elif state.active_credential(user, company["id"]) is None:
            problems.append(
                _problem(
                    index,
                    "document_issuer.rut",
                    "no_active_credentials",
                    f"{issuer['rut']} has no active SII credential",
                )
            )
    if dte_type not in BOLETAS and not receiver.get("rut"):
        problems.append(_problem(index, "document_receiver.rut", "required", "The receiver RUT is required"))
    elif receiver.get("rut"):
        if not rut.is_valid(receiver["rut"]) or rut.parse(str(receiver["rut"])) is None:
            problems.append(
                _problem(index, "document_receiver.rut", "invalid_rut", "The receiver RUT is not valid")
            )
        else:
            receiver["rut"] = rut.normalize(receiver["rut"])
    details = given.get("details") or []
    if not details:
        problems.append(_problem(index, "details", "required", "At least one detail is required"))
    for n, item in enumerate(details):
        if not item.get("item_name"):
            problems.append(_problem(index, f"details.{n}.item_name", "required", "item_name is required"))
        if float(item.get("quantity", 0) or 0) <= 0:
            problems.append(
                _problem(index, f"details.{n}.quantity", "invalid_amount", "quantity must be positive")
            )
        price = item.get("gross_unit_price", item.get("unit_price"))
        if price is None or float(price) < 0:
            problems.append(
                _problem(
                    index,
                    f"details.{n}.unit_price",
                    "invalid_amount",
                    "unit_price (or gross_unit_price for boletas) must be zero or more",
                )
            )
        if "gross_unit_price" in item and dte_type not in BOLETAS:
            problems.append(
                _problem(
                    index,
                    f"details.{n}.gross_unit_price",
                    "gross_price_not_allowed",
                    "gross_unit_price is only for boletas (39, 41); use the net unit_price",
                )
            )
    if dte_type in NEEDS_REFERENCES and not given.get("references"):
        problems.append(
            _problem(
                index,
                "references",
                "references_required",
                f"A {DTE_TYPES[dte_type].lower()} must reference the document it modifies",
            )
        )
    header = dict(given.get("header") or {})

    def fill(target: dict[str, Any], prefix: str, name: str, value: Any) -> None:
        if target.get(name) in (None, "") and value not in (None, ""):
            target[name] = value
            warnings.append(
                {
                    "document_index": index,
                    "field": f"{prefix}.{name}",
                    "code": "default_applied",
                    "message": f"{prefix}.{name} was filled from the master entity",
                    "suggestion": None,
                }
            )

    if use_defaults and company is not None:
        address = next((a for a in company["addresses"] if a["id"] == issuer.get("address_id")), None)
        address = address or next(a for a in company["addresses"] if a["is_main"])
        activity = next((a for a in company["activities"] if a["code"] == issuer.get("activity_code")), None)
        activity = activity or company["activities"][0] if company["activities"] else None
        fill(issuer, "document_issuer", "business_name", company["name"])
        fill(issuer, "document_issuer", "email", company["email"])
        fill(issuer, "document_issuer", "business_activity", activity["name"] if activity else None)
        fill(issuer, "document_issuer", "activity_code", activity["code"] if activity else None)
        for key in ("address", "district", "city", "sii_branch_code"):
            fill(issuer, "document_issuer", key, address[key])
        if receiver.get("rut") and "rut" not in {p["field"].split(".")[-1] for p in problems}:
            other = entities.lookup(receiver["rut"])
            main = next(a for a in other["addresses"] if a["is_main"])
            fill(receiver, "document_receiver", "business_name", other["name"])
            fill(
                receiver,
                "document_receiver",
                "business_activity",
                other["activities"][0]["name"] if other["activities"] else None,
            )
            for key in ("address", "district", "city"):
                fill(receiver, "document_receiver", key, main[key])
        fill(header, "header", "payment_method", "1")
        if not doc.get("date_issued"):
            doc["date_issued"] = state.today().isoformat()
            warnings.append(
                {
                    "document_index": index,
                    "field": "date_issued",
                    "code": "default_applied",
                    "message": "date_issued was set to today (Chile)",
                    "suggestion": None,
                }
            )
    elif not problems:
        missing = [f"document_issuer.{k}" for k in ISSUER_FIELDS if not issuer.get(k)]
        if dte_type not in BOLETAS:
            missing += [f"document_receiver.{k}" for k in RECEIVER_FIELDS if not receiver.get(k)]
        for name in missing:
            problems.append(
                _problem(
                    index, name, "required", f"{name} is required (or send X-Use-Defaults: true to fill it)"
                )
            )
    date_issued = doc.get("date_issued") or state.today().isoformat()
    try:
        date.fromisoformat(date_issued)
    except ValueError:
        problems.append(_problem(index, "date_issued", "invalid_date", "date_issued must be YYYY-MM-DD"))
    doc.update(
        dte_type=dte_type,
        document_issuer=issuer,
        document_receiver=receiver,
        header=header,
        date_issued=date_issued,
    )
    return problems, warnings, doc


def build_document(
    state: TupanaState,
    user: User,
    batch: Batch,
    index: int,
    prepared: dict[str, Any],
    problems: list[dict[str, Any]],
    base_url: str,
) -> Document:
    dte_type = prepared["dte_type"] if prepared["dte_type"] in DTE_TYPES else "33"
    receiver = prepared["document_receiver"]
    outcome = "success"
    if receiver.get("rut") == RECEIVER_REJECTED:
        outcome = "rejected"
    elif receiver.get("rut") == RECEIVER_SII_DOWN:
        outcome = "temporary_error"
    try:
        totals = amounts.totals(dte_type, prepared.get("details") or [])
    except (KeyError, ValueError, ArithmeticError):
        totals = amounts.Totals(0, 0, 0, 0, [])
    sender = prepared["document_issuer"]
    now = state.clock.now()
    return Document(
        id="docu_" + state.ids.hex(16),
        batch_id=batch.id,
        index=index,
        dte_type=dte_type,
        sender_id=entities.entity_id(sender["rut"])
        if sender.get("rut")
        and not any(p["field"] == "document_issuer.rut" and p["code"] == "invalid_rut" for p in problems)
        else "",
        sender=sender,
        receiver=receiver,
        receiver_id=entities.entity_id(receiver["rut"])
        if receiver.get("rut") and rut.is_valid(receiver["rut"])
        else None,
        date_issued=prepared["date_issued"],
        header=prepared["header"],
        references=prepared.get("references") or [],
        totals=totals,
        json_param=prepared.get("json_param"),
        additional_info=prepared.get("additional_info"),
        is_draft=batch.is_draft,
        problems=problems,
        planned_outcome=outcome,
        created_at=now,
        updated_at=now,
        base_url=base_url,
    )


def pdf_preview(doc: Document) -> str:
    return base64.b64encode(doc.pdf()).decode()
