"""The boleta as a PDF people can open and an XML programs can parse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockserver.core.kit.pdf import Document
from mockserver.providers.avenio import cut

if TYPE_CHECKING:
    from lxml import etree

    from mockserver.providers.avenio.models import Boleta


def _pesos(amount: int) -> str:
    return "$ " + f"{amount:,}".replace(",", ".")


def pdf(b: Boleta) -> bytes:
    doc = Document(title=f"Boleta de Honorarios Electrónica N° {b.folio}")
    page = doc.page()
    page.rect(40, 700, 515, 100, 1)
    page.text(55, 775, "BOLETA DE HONORARIOS ELECTRÓNICA", 15, bold=True)
    page.text(55, 755, f"N° {b.folio}", 13, bold=True)
    page.text(55, 735, f"RUT emisor: {b.rut_emisor}")
    page.text(55, 720, f"Domicilio: {b.direccion_emisor or '-'}")
    page.text(330, 755, f"Fecha: {b.fecha.strftime('%d/%m/%Y')}")
    if b.estado != "vigente":
        page.text(330, 735, f"Estado: {b.estado.replace('_', ' ').upper()}", 11, bold=True)
    comuna = cut.comuna(b.receptor_comuna) or {"nombre": str(b.receptor_comuna)}
    y = 670
    page.text(40, y, "Señor(es):", bold=True)
    page.text(120, y, b.receptor_nombre)
    page.text(40, y - 15, "RUT:", bold=True)
    page.text(120, y - 15, b.receptor_rut)
    page.text(40, y - 30, "Domicilio:", bold=True)
    page.text(
        120, y - 30, f"{b.receptor_direccion}, {comuna['nombre']}, {cut.region_name(b.receptor_region)}"
    )
    y -= 65
    page.line(40, y + 12, 555, y + 12)
    page.text(45, y, "Por atención profesional:", bold=True)
    page.text(470, y, "Valor", bold=True)
    page.line(40, y - 5, 555, y - 5)
    for prestacion in b.prestaciones:
        y -= 18
        page.text(45, y, prestacion["detalle"][:80])
        page.text(470, y, _pesos(prestacion["valor"]))
    y -= 30
    page.line(300, y + 12, 555, y + 12)
    for label, value in (
        ("Total honorarios", _pesos(b.bruto)),
        (f"{b.tasa} % impuesto retenido", _pesos(b.retencion)),
        ("Total líquido", _pesos(b.liquido)),
    ):
        page.text(305, y, label, bold=label.startswith("Total"))
        page.text(470, y, value, bold=label.startswith("Total"))
        y -= 16
    who = "el receptor (contribuyente)" if b.retenedor == "receptor" else "el emisor"
    page.text(40, y - 10, f"Retención efectuada por {who}.", 9)
    page.text(40, 80, f"Código de verificación: {b.codigo_verificacion}", 9)
    page.text(40, 66, "Documento de prueba emitido por mockserver: no tiene validez tributaria.", 8)
    return doc.render()


def xml(b: Boleta) -> bytes:
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start

    root = etree.Element("BoletaHonorarios", version="1.0")
    doc = etree.SubElement(root, "Documento", ID=f"BHE{b.folio}")

    def add(parent: etree._Element, name: str, value: object) -> etree._Element:
        node = etree.SubElement(parent, name)
        node.text = str(value)
        return node

    enc = etree.SubElement(doc, "Encabezado")
    add(enc, "Folio", b.folio)
    add(enc, "FechaEmision", b.fecha.isoformat())
    add(enc, "Estado", b.estado)
    emisor = etree.SubElement(enc, "Emisor")
    add(emisor, "RUTEmisor", b.rut_emisor)
    add(emisor, "Direccion", b.direccion_emisor)
    receptor = etree.SubElement(enc, "Receptor")
    for name, value in (
        ("RUTRecep", b.receptor_rut),
        ("RznSocRecep", b.receptor_nombre),
        ("DirRecep", b.receptor_direccion),
        ("CmnaRecep", b.receptor_comuna),
        ("RegionRecep", b.receptor_region),
    ):
        add(receptor, name, value)
    totales = etree.SubElement(enc, "Totales")
    for name, value in (
        ("MontoBruto", b.bruto),
        ("TasaRetencion", b.tasa),
        ("MontoRetencion", b.retencion),
        ("MontoLiquido", b.liquido),
        ("Retenedor", b.retenedor),
    ):
        add(totales, name, value)
    for n, prestacion in enumerate(b.prestaciones, start=1):
        det = etree.SubElement(doc, "Detalle")
        add(det, "NroLinDet", n)
        add(det, "Descripcion", prestacion["detalle"])
        add(det, "Valor", prestacion["valor"])
    add(doc, "CodigoVerificacion", b.codigo_verificacion)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
