"""A Chilean DTE as the SII lays it out (Encabezado, Detalle, Referencia), for the providers' XML files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lxml import etree


SII_NS = "http://www.sii.cl/SiiDte"


@dataclass
class Dte:
    tipo: str
    folio: int
    fecha: str  # YYYY-MM-DD
    emisor: dict[str, Any]  # RUTEmisor, RznSoc, GiroEmis, Acteco?, DirOrigen, CmnaOrigen, CiudadOrigen
    receptor: dict[str, Any]  # RUTRecep, RznSocRecep, GiroRecep?, DirRecep?, CmnaRecep?, CiudadRecep?
    totales: dict[str, Any]  # MntNeto, MntExe, TasaIVA, IVA, MntTotal
    detalles: list[dict[str, Any]]  # NmbItem, QtyItem, PrcItem, DescuentoPct?, MontoItem, IndExe?
    referencias: list[dict[str, Any]] = field(default_factory=list)  # TpoDocRef, FolioRef, FchRef, RazonRef
    forma_pago: str | None = None
    ted: str | None = None


def build(dte: Dte, encoding: str = "ISO-8859-1") -> bytes:
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start

    root = etree.Element(f"{{{SII_NS}}}DTE", version="1.0", nsmap={None: SII_NS})  # type: ignore[dict-item]
    doc = etree.SubElement(root, f"{{{SII_NS}}}Documento", ID=f"T{dte.tipo}F{dte.folio}")

    def add(parent: etree._Element, name: str, value: object) -> None:
        if value is not None and value != "":
            etree.SubElement(parent, f"{{{SII_NS}}}{name}").text = str(value)

    def group(parent: etree._Element, name: str, values: dict[str, Any]) -> etree._Element:
        node = etree.SubElement(parent, f"{{{SII_NS}}}{name}")
        for key, value in values.items():
            add(node, key, value)
        return node

    header = etree.SubElement(doc, f"{{{SII_NS}}}Encabezado")
    group(
        header,
        "IdDoc",
        {"TipoDTE": dte.tipo, "Folio": dte.folio, "FchEmis": dte.fecha, "FmaPago": dte.forma_pago},
    )
    group(header, "Emisor", dte.emisor)
    group(header, "Receptor", dte.receptor)
    group(header, "Totales", dte.totales)
    for n, line in enumerate(dte.detalles, start=1):
        group(doc, "Detalle", {"NroLinDet": n, **line})
    for n, ref in enumerate(dte.referencias, start=1):
        group(doc, "Referencia", {"NroLinRef": n, **ref})
    if dte.ted:
        doc.append(etree.fromstring(dte.ted))
    serialized = etree.tostring(root, xml_declaration=True, encoding=encoding)
    assert isinstance(serialized, bytes)  # an encoding was given, so lxml answers bytes
    return serialized
