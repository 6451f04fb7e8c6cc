"""A Tu Pana document's printed representation, and its base64 preview in a batch's answer."""

from __future__ import annotations

import base64

from mockserver.core.kit.pdf import Document as Pdf
from mockserver.providers.tupana.models import DTE_TYPES, Document


def document_pdf(doc: Document) -> bytes:
    out = Pdf(title=f"{DTE_TYPES[doc.dte_type]} N° {doc.folio or 'BORRADOR'}")
    page = out.page()
    page.text(40, 790, doc.sender.get("business_name", ""), 13, bold=True)
    page.text(40, 775, f"RUT {doc.sender['rut']} · {doc.sender.get('business_activity', '')}"[:95], 8)
    page.text(40, 763, f"{doc.sender.get('address', '')}, {doc.sender.get('district', '')}", 8)
    page.rect(360, 735, 195, 70, 1.5)
    page.text(375, 785, f"R.U.T.: {doc.sender['rut']}", 11, bold=True)
    page.text(375, 765, DTE_TYPES[doc.dte_type].upper()[:28], 9, bold=True)
    page.text(375, 745, f"N° {doc.folio}" if doc.folio else "BORRADOR", 11, bold=True)
    page.text(40, 705, f"Fecha de emisión: {doc.date_issued}")
    page.text(
        40,
        690,
        f"Señor(es): {doc.receiver.get('business_name', '')}    RUT: {doc.receiver.get('rut', '')}",
    )
    y = 650
    page.line(40, y + 12, 555, y + 12)
    for x, label in ((45, "Descripción"), (330, "Cantidad"), (400, "Precio"), (480, "Monto")):
        page.text(x, y, label, bold=True)
    for line in doc.totals.lines:
        y -= 16
        page.text(45, y, line["item_name"][:48])
        page.text(330, y, f"{line['quantity']:g}")
        page.text(400, y, f"{line['unit_price']:,.0f}")
        page.text(480, y, f"{line['amount']:,}")
    y -= 30
    t = doc.totals
    for label, value in (("Neto", t.net), ("Exento", t.exempt), ("IVA 19%", t.iva), ("Total", t.total)):
        page.text(400, y, label, bold=label == "Total")
        page.text(480, y, f"$ {value:,}".replace(",", "."), bold=label == "Total")
        y -= 15
    page.text(40, 50, "Documento de prueba (sandbox de mockserver): no tiene validez tributaria.", 8)
    return out.render()


def pdf_preview(doc: Document) -> str:
    return base64.b64encode(document_pdf(doc)).decode()
