"""The invoice as a PDF, and as the XML a SENIAT-authorised digital printer hands out (control number)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockserver.core.kit.pdf import Document as Pdf
from mockserver.providers.tuimprenta.models import Invoice

if TYPE_CHECKING:
    from lxml import etree

# the mock's stand-in digital printer (a SENIAT-authorised "imprenta digital" assigns control numbers)
PRINTER = {
    "rif": "J-40123456-0",
    "name": "TUIMPRENTA DIGITAL, C.A. (mockserver)",
    "providencia": "SNAT/2024/000102",
}


def xml(invoice: Invoice) -> bytes:
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start

    root = etree.Element("FacturaDigital", version="1.0")

    def add(parent: etree._Element, name: str, value: object) -> etree._Element:
        node = etree.SubElement(parent, name)
        if value is not None:
            node.text = str(value)
        return node

    header = add(root, "Encabezado", None)
    add(header, "Serie", invoice.series)
    add(header, "Numero", invoice.number)
    add(header, "NumeroControl", invoice.control_number)
    add(header, "FechaEmision", invoice.issue_date)
    add(header, "Moneda", invoice.currency)
    add(header, "Estado", invoice.status)
    printer = add(header, "ImprentaDigital", None)
    add(printer, "RIF", PRINTER["rif"])
    add(printer, "RazonSocial", PRINTER["name"])
    add(printer, "Providencia", PRINTER["providencia"])
    customer = add(header, "Receptor", None)
    add(customer, "RIF", invoice.customer["tax_id"])
    add(customer, "RazonSocial", invoice.customer["name"])
    if invoice.customer.get("email"):
        add(customer, "Correo", invoice.customer["email"])
    items = add(root, "Detalle", None)
    for n, item in enumerate(invoice.items, start=1):
        line = add(items, "Item", None)
        line.set("linea", str(n))
        for name, key in (
            ("Codigo", "sku"),
            ("Descripcion", "description"),
            ("Cantidad", "qty"),
            ("PrecioUnitario", "unit_price"),
            ("Alicuota", "tax_rate"),
            ("Monto", "amount"),
        ):
            if item.get(key) is not None:
                add(line, name, item[key])
    totals = add(root, "Totales", None)
    for tax in invoice.tax_breakdown:
        node = add(totals, "Impuesto", None)
        node.set("alicuota", f"{tax['tax_rate']:g}")
        add(node, "BaseImponible", f"{tax['base']:.2f}")
        add(node, "Monto", f"{tax['tax']:.2f}")
    add(totals, "Subtotal", f"{invoice.totals['subtotal']:.2f}")
    add(totals, "TotalIVA", f"{invoice.totals['tax']:.2f}")
    add(totals, "Total", f"{invoice.totals['total']:.2f}")
    serialized = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    assert isinstance(serialized, bytes)
    return serialized


def pdf(invoice: Invoice) -> bytes:
    doc = Pdf(title=f"Factura {invoice.series}-{invoice.number}")
    page = doc.page()
    page.text(40, 790, "FACTURA", 16, bold=True)
    page.text(40, 770, f"Serie {invoice.series}  N° {invoice.number:08d}", 11)
    page.text(360, 790, f"N° de Control: {invoice.control_number}", 11, bold=True)
    page.text(360, 775, f"Fecha: {invoice.issue_date}", 10)
    if invoice.status == "canceled":
        page.text(360, 760, "ANULADA", 12, bold=True)
    page.text(40, 735, f"Cliente: {invoice.customer['name']}")
    page.text(40, 720, f"RIF: {invoice.customer['tax_id']}")
    y = 690
    page.line(40, y + 12, 555, y + 12)
    for x, label in ((45, "Descripción"), (320, "Cant."), (370, "Precio"), (440, "IVA"), (490, "Monto")):
        page.text(x, y, label, bold=True)
    for item in invoice.items:
        y -= 16
        page.text(45, y, str(item["description"])[:45])
        page.text(320, y, f"{item['qty']:g}")
        page.text(370, y, f"{item['unit_price']:.2f}")
        page.text(440, y, f"{item['tax_rate'] * 100:g}%")
        page.text(490, y, f"{item['amount']:.2f}")
    y -= 30
    for label, key in (("Subtotal", "subtotal"), ("IVA", "tax"), ("Total", "total")):
        page.text(400, y, label, bold=label == "Total")
        page.text(490, y, f"{invoice.currency} {invoice.totals[key]:,.2f}", bold=label == "Total")
        y -= 15
    page.text(
        40,
        80,
        f"Imprenta digital: {PRINTER['name']} · RIF {PRINTER['rif']} · Providencia {PRINTER['providencia']}",
        7,
    )
    page.text(40, 66, "Documento de prueba emitido por mockserver: sin validez fiscal.", 7)
    return doc.render()
