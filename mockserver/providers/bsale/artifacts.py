"""What an electronic document carries: the TED (timbre), the DTE XML, its PDF and public HTML view."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mockserver.core.kit import barcode, dte
from mockserver.core.kit.pdf import Document as Pdf
from mockserver.core.services.keys import SigningKey
from mockserver.providers.bsale.documents import Document
from mockserver.providers.bsale.instance import Instance

if TYPE_CHECKING:
    from lxml import etree

BOLETA_RECEPTOR = "66666666-6"  # the SII's generic receptor for boletas without a client


def _date(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).date().isoformat()


def _caf_block(instance: Instance, doc: Document, key: SigningKey) -> etree._Element:
    """The CAF the SII grants for the type (the catalogue's range)."""
    caf: Mapping[str, Any] = instance.catalogue.document_types[doc.document_type_id]["caf"] or {}
    return dte.caf(
        key.private_key,
        re=instance.company["rut"],
        rs=instance.company["name"],
        td=doc.code_sii,
        start=int(caf.get("startNumber", 1)),
        end=int(caf.get("endNumber", 1)),
        fa=_date(int(caf.get("startDate", doc.emission_date))),
    )


def _receptor(instance: Instance, doc: Document) -> tuple[str, str]:
    client = instance.get("clients", doc.client_id) if doc.client_id else None
    if client is None:
        return BOLETA_RECEPTOR, "CONSUMIDOR FINAL"
    return client["code"], client["company"] or f"{client['firstName']} {client['lastName']}"


def ted(instance: Instance, doc: Document, key: SigningKey, now: float) -> str:
    """The TED XML: DD with the document's facts and its CAF, signed (FRMT)."""
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start

    first = doc.details[0].note if doc.details else ""
    if doc.details and doc.details[0].variant_id:
        variant = instance.catalogue.variants[doc.details[0].variant_id]
        first = first or variant["description"]
    rr, rsr = _receptor(instance, doc)
    facts = {
        "RE": instance.company["rut"],
        "TD": doc.code_sii,
        "F": str(doc.number),
        "FE": _date(doc.emission_date),
        "RR": rr,
        "RSR": rsr,
        "MNT": f"{doc.amounts['totalAmount']:g}",
        "IT1": first,
    }
    block = instance.caf_blocks.get(doc.document_type_id)
    if block is None:
        block = instance.caf_blocks[doc.document_type_id] = etree.tostring(_caf_block(instance, doc, key))
    return dte.ted(key.private_key, facts, block, _stamp(now))


def _pesos(amount: float) -> str:
    """An amount as Chile writes it: dots between thousands, `23.438`."""
    return f"{amount:,.0f}".replace(",", ".")


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def dte_xml(instance: Instance, doc: Document, key: SigningKey) -> bytes:
    """The DTE as the SII's schema has it, timbre and signature included, for `urlXml`."""
    client = instance.get("clients", doc.client_id) if doc.client_id else None
    company = instance.company
    amounts = doc.amounts
    return dte.build(
        dte.Dte(
            tipo=doc.code_sii,
            folio=doc.number,
            fecha=_date(doc.emission_date),
            emisor={
                "RUTEmisor": company["rut"],
                "RznSoc": company["name"],
                "GiroEmis": company["activity"],
                "Acteco": company.get("activityCode"),
                "DirOrigen": company.get("address"),
                "CmnaOrigen": company.get("municipality"),
                "CiudadOrigen": company.get("city"),
            },
            receptor={
                "RUTRecep": _receptor(instance, doc)[0],
                "RznSocRecep": _receptor(instance, doc)[1],
                "GiroRecep": client.get("activity") if client else None,
                "DirRecep": client.get("address") if client else None,
                "CmnaRecep": client.get("municipality") if client else None,
                "CiudadRecep": client.get("city") if client else None,
            },
            totales={
                "MntNeto": f"{amounts['netAmount']:g}",
                "MntExe": f"{amounts['exemptAmount']:g}",
                "IVA": f"{amounts['taxAmount']:g}",
                "MntTotal": f"{amounts['totalAmount']:g}",
            },
            detalles=[
                {
                    "NmbItem": d.note or "Producto",
                    "QtyItem": f"{d.quantity:g}",
                    "PrcItem": f"{d.net_unit_value:g}",
                    "MontoItem": f"{d.net_amount:g}",
                }
                for d in doc.details
            ],
            referencias=[
                {
                    "TpoDocRef": r.code_sii,
                    "FolioRef": r.number,
                    "FchRef": _date(r.reference_date),
                    "CodRef": r.code_ref or None,
                    "RazonRef": r.reason,
                }
                for r in doc.references
            ],
            ted=instance.ted_of(doc),
            traslado=_traslado(instance, doc),
            transporte=_transporte(instance, doc),
        ),
        dte.Signer(key.private_key, key.certificate_der),
        _stamp(doc.generation_date),
    )


def _traslado(instance: Instance, doc: Document) -> str | None:
    """A guía's IndTraslado: its shipping type's SII code."""
    shipping = instance.shippings.get(doc.shipping_id) if doc.shipping_id else None
    if doc.code_sii != "52" or shipping is None or shipping.shipping_type_id is None:
        return None
    return instance.catalogue.shipping_types[shipping.shipping_type_id]["codeSii"]


# an export's customsData, as Bsale takes it → the DTE's Aduana
ADUANA = {
    "saleModeId": "CodModVenta",
    "clauseCode": "CodClauVenta",
    "clauseAmount": "TotClauVenta",
    "transportPathId": "CodViaTransp",
    "totalPackages": "TotBultos",
    "countryCode": "CodPaisDestin",
}


# the SII's codes for the sale clauses (CodClauVenta), which Bsale's clients send by name
CLAUSES = {"CIF": 1, "CFR": 2, "EXW": 3, "FAS": 4, "FOB": 5, "S/CL": 6, "DDP": 9, "FCA": 10, "CPT": 11}


def _transporte(instance: Instance, doc: Document) -> dict[str, Any] | None:
    """Where a guía's goods go, and an export's customs facts."""
    out: dict[str, Any] = {}
    if _traslado(instance, doc):
        shipping = instance.shippings[doc.shipping_id]  # type: ignore[index]
        out.update(DirDest=shipping.address, CmnaDest=shipping.municipality, CiudadDest=shipping.city)
    customs = (doc.extras or {}).get("customsData")
    if doc.code_sii in dte.EXPORTS and isinstance(customs, dict):
        given = {
            **customs,
            "clauseCode": CLAUSES.get(str(customs.get("clauseCode")).upper(), customs.get("clauseCode")),
        }
        # a value the SII's schema would refuse (a clause it has no code for) is left out, not sent
        out["Aduana"] = {
            name: given[key]
            for key, name in ADUANA.items()
            if str(given.get(key, "")).replace(".", "").isdigit()
        }
    return out or None


def timbre_png(instance: Instance, doc: Document) -> bytes:
    """The timbre as the SII prints it, for `urlTimbre`: a PDF417 barcode of the TED."""
    return barcode.png(barcode.pdf417(instance.ted_of(doc) or ""))


def _lines(instance: Instance, doc: Document) -> list[tuple[str, str, str, str]]:
    out = []
    for detail in doc.details:
        name = detail.note
        if detail.variant_id:
            variant = instance.catalogue.variants[detail.variant_id]
            product = instance.catalogue.products.get(variant["productId"])
            name = name or f"{product['name'] if product else ''} {variant['description']}".strip()
        out.append((name, f"{detail.quantity:g}", _pesos(detail.net_unit_value), _pesos(detail.net_amount)))
    return out


def pdf(instance: Instance, doc: Document) -> bytes:
    doc_type = instance.catalogue.document_types[doc.document_type_id]
    out = Pdf(title=f"{doc_type['name']} N° {doc.number}")
    page = out.page()
    page.text(40, 790, instance.company["name"], 13, bold=True)
    page.text(40, 775, f"RUT {instance.company['rut']}", 9)
    page.text(40, 762, instance.company["address"], 9)
    page.rect(360, 735, 195, 70, 1.5)
    page.text(375, 785, f"R.U.T.: {instance.company['rut']}", 11, bold=True)
    page.text(375, 765, doc_type["name"][:30], 10, bold=True)
    page.text(375, 745, f"N° {doc.number}", 11, bold=True)
    client = instance.get("clients", doc.client_id) if doc.client_id else None
    y = 705
    page.text(40, y, f"Fecha de emisión: {_date(doc.emission_date)}")
    if client:
        page.text(
            40, y - 15, f"Señor(es): {client['company'] or client['firstName'] + ' ' + client['lastName']}"
        )
        page.text(40, y - 30, f"RUT: {client['code']}    Giro: {client['activity']}")
        page.text(40, y - 45, f"Dirección: {doc.address or ''}, {doc.municipality or ''}")
    y -= 75
    page.line(40, y + 12, 555, y + 12)
    for x, label in ((45, "Descripción"), (330, "Cantidad"), (400, "Precio"), (480, "Total")):
        page.text(x, y, label, bold=True)
    for name, qty, price, total in _lines(instance, doc):
        y -= 16
        page.text(45, y, name[:48])
        page.text(330, y, qty)
        page.text(400, y, price)
        page.text(480, y, total)
    for reference in doc.references[:5]:  # what a credit or debit note corrects, as a DTE prints it
        y -= 16
        dte_code = instance.catalogue.dte_codes.get(reference.dte_code_id)
        name = dte_code["name"] if dte_code else reference.code_sii
        when = _date(reference.reference_date) if reference.reference_date else ""
        page.text(45, y, f"Referencia: {name} N° {reference.number} {when} {reference.reason}"[:100], 8)
    y -= 30
    for label, key in (
        ("Neto", "netAmount"),
        ("Exento", "exemptAmount"),
        ("IVA 19%", "taxAmount"),
        ("Total", "totalAmount"),
    ):
        page.text(400, y, label, bold=label == "Total")
        page.text(480, y, f"$ {_pesos(doc.amounts[key])}", bold=label == "Total")
        y -= 15
    observation = (doc.extras or {}).get("observation")
    if observation:
        page.text(40, y - 10, f"Observación: {str(observation)[:90]}", 9)
    ted = instance.ted_of(doc)
    if doc.electronic and ted:
        modules = barcode.pdf417(ted)  # the timbre, as a DTE's printed copy carries it
        height = 220 * len(modules) * barcode.ROW_HEIGHT / len(modules[0])
        barcode.draw(page, modules, 40, 96, 220, min(height, 110))
        page.text(60, 84, "Timbre Electrónico SII", 8, bold=True)
        page.text(40, 72, "Res. 80 de 2014 - Verifique documento: www.sii.cl", 7)
    page.text(40, 50, "Documento de prueba emitido por mockserver: no tiene validez tributaria.", 8)
    return out.render()


def public_view(instance: Instance, doc: Document, pdf_url: str) -> str:
    doc_type = instance.catalogue.document_types[doc.document_type_id]
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{q}</td><td>{p}</td><td>{t}</td></tr>"
        for n, q, p, t in _lines(instance, doc)
    )
    e = html.escape
    amounts = doc.amounts
    return f"""<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>{e(doc_type["name"])} N° {doc.number}</title></head>
<body>
<h1>{e(instance.company["name"])}</h1>
<p>RUT {e(instance.company["rut"])} · {e(doc_type["name"])} N° {doc.number} · {_date(doc.emission_date)}</p>
<table><thead><tr><th>Descripción</th><th>Cantidad</th><th>Precio</th><th>Total</th></tr></thead>
<tbody>{rows}</tbody></table>
<p>Neto {amounts["netAmount"]:g} · IVA {amounts["taxAmount"]:g} · Total {amounts["totalAmount"]:g}</p>
<p><a href="{e(pdf_url)}">Descargar PDF</a></p>
<p><small>Documento de prueba emitido por mockserver: no tiene validez tributaria.</small></p>
</body></html>
"""
