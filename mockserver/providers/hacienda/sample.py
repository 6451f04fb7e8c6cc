"""Signed sample comprobantes for demos, tests and benchmarks.

`python -m mockserver.providers.hacienda.sample [--tipo 01] [--security-code 12345678]` prints a JSON
body for POST /recepcion: a v4.4 document XAdES-signed with the mock's public test key.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm
from signxml.signer import XMLSigner
from signxml.xades.xades import XAdESSignaturePolicy, XAdESSigner

from mockserver.core.services.keys import SigningKey, load_signing_key
from mockserver.providers.hacienda.clave import DOCUMENT_TYPES

NS = "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/{version}/{name}"
ROOT_NS = {
    "FacturaElectronica": "facturaElectronica",
    "NotaDebitoElectronica": "notaDebitoElectronica",
    "NotaCreditoElectronica": "notaCreditoElectronica",
    "TiqueteElectronico": "tiqueteElectronico",
    "FacturaElectronicaCompra": "facturaElectronicaCompra",
    "FacturaElectronicaExportacion": "facturaElectronicaExportacion",
    "ReciboElectronicoPago": "reciboElectronicoPago",
    "MensajeReceptor": "mensajeReceptor",
}
POLICY = XAdESSignaturePolicy(
    Identifier="https://www.hacienda.go.cr/ATV/ComprobanteElectronico/docs/esquemas/2016/v4.3/Resolucion%20Comprobantes%20Electronicos%20%20DGT-R-48-2016.pdf",
    Description="",
    DigestMethod=DigestAlgorithm.SHA1,
    DigestValue="V8lVVNGDCPen6VELRD1Ja8HARFk=",
)
CR = timezone(timedelta(hours=-6))


@dataclass
class Sample:
    tipo: str = "01"
    emisor_tipo: str = "02"
    emisor_numero: str = "3101123456"
    emisor_nombre: str = "Razón Social S.A."
    receptor_tipo: str | None = "01"
    receptor_numero: str | None = "109560664"
    receptor_nombre: str = "María Rodríguez Mora"
    numero: int = 1
    security_code: str = "12345678"
    situacion: str = "1"
    fecha: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 10, 30, tzinfo=CR))
    version: str = "v4.4"
    total: str = "11300.00000"
    impuesto: str = "1300.00000"
    references: list[tuple[str, str]] = field(default_factory=list)  # (TipoDoc, Numero)

    @property
    def consecutivo(self) -> str:
        return f"00100001{self.tipo}{self.numero:010d}"

    @property
    def clave(self) -> str:
        return (
            f"506{self.fecha:%d%m%y}{self.emisor_numero.zfill(12)}{self.consecutivo}"
            f"{self.situacion}{self.security_code}"
        )


def unsigned_xml(s: Sample) -> etree._Element:
    root_name = DOCUMENT_TYPES[s.tipo]
    ns = NS.format(version=s.version, name=ROOT_NS[root_name])
    nsmap = {None: ns, "ds": "http://www.w3.org/2000/09/xmldsig#"}
    root = etree.Element(f"{{{ns}}}{root_name}", nsmap=nsmap)  # type: ignore[arg-type]  # lxml's None key

    def add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        node = etree.SubElement(parent, f"{{{ns}}}{name}")
        if text is not None:
            node.text = text
        return node

    add(root, "Clave", s.clave)
    add(root, "ProveedorSistemas", s.emisor_numero)
    add(root, "CodigoActividadEmisor", "620100")
    add(root, "NumeroConsecutivo", s.consecutivo)
    add(root, "FechaEmision", s.fecha.isoformat())
    emisor = add(root, "Emisor")
    add(emisor, "Nombre", s.emisor_nombre)
    ident = add(emisor, "Identificacion")
    add(ident, "Tipo", s.emisor_tipo)
    add(ident, "Numero", s.emisor_numero)
    add(emisor, "CorreoElectronico", "facturacion@example.cr")
    if s.receptor_numero:
        receptor = add(root, "Receptor")
        add(receptor, "Nombre", s.receptor_nombre)
        ident = add(receptor, "Identificacion")
        add(ident, "Tipo", s.receptor_tipo or "01")
        add(ident, "Numero", s.receptor_numero)
    add(root, "CondicionVenta", "01")
    detalle = add(root, "DetalleServicio")
    linea = add(detalle, "LineaDetalle")
    for name, value in (
        ("NumeroLinea", "1"),
        ("CodigoCABYS", "8314100000000"),
        ("Cantidad", "1"),
        ("UnidadMedida", "Sp"),
        ("Detalle", "Servicio de desarrollo de software"),
        ("PrecioUnitario", "10000.00000"),
        ("MontoTotal", "10000.00000"),
        ("SubTotal", "10000.00000"),
        ("BaseImponible", "10000.00000"),
    ):
        add(linea, name, value)
    impuesto = add(linea, "Impuesto")
    add(impuesto, "Codigo", "01")
    add(impuesto, "CodigoTarifaIVA", "08")
    add(impuesto, "Tarifa", "13.00")
    add(impuesto, "Monto", s.impuesto)
    add(linea, "ImpuestoNeto", s.impuesto)
    add(linea, "MontoTotalLinea", s.total)
    resumen = add(root, "ResumenFactura")
    add(resumen, "TotalVenta", "10000.00000")
    add(resumen, "TotalVentaNeta", "10000.00000")
    add(resumen, "TotalImpuesto", s.impuesto)
    add(resumen, "TotalComprobante", s.total)
    for tipo_doc, numero in s.references:
        ref = add(root, "InformacionReferencia")
        add(ref, "TipoDoc", tipo_doc)
        add(ref, "Numero", numero)
        add(ref, "FechaEmision", s.fecha.isoformat())
        add(ref, "Codigo", "01")
        add(ref, "Razon", "Anula documento de referencia")
    return root


def sign(root: etree._Element, key: SigningKey, *, xades: bool = True) -> bytes:
    """XAdES-EPES (enveloped RSA-SHA256 + SignedProperties) as Hacienda asks; plain XMLDSig if not `xades`."""
    signer: XMLSigner
    if xades:
        signer = XAdESSigner(signature_policy=POLICY, c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0)
    else:
        signer = XMLSigner(c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0)
    signed = signer.sign(root, key=key.private_key, cert=[key.certificate])
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def body(
    s: Sample, key: SigningKey, *, callback_url: str | None = None, xml: bytes | None = None
) -> dict[str, object]:
    payload: dict[str, object] = {
        "clave": s.clave,
        "fecha": s.fecha.isoformat(),
        "emisor": {"tipoIdentificacion": s.emisor_tipo, "numeroIdentificacion": s.emisor_numero},
        "comprobanteXml": base64.b64encode(xml or sign(unsigned_xml(s), key)).decode(),
    }
    if s.receptor_numero:
        payload["receptor"] = {
            "tipoIdentificacion": s.receptor_tipo,
            "numeroIdentificacion": s.receptor_numero,
        }
    if callback_url:
        payload["callbackUrl"] = callback_url
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a signed sample POST /recepcion body.")
    parser.add_argument(
        "--tipo", default="01", choices=[t for t in DOCUMENT_TYPES if t not in ("05", "06", "07")]
    )
    parser.add_argument("--numero", type=int, default=None, help="consecutive number (default: random)")
    parser.add_argument(
        "--security-code",
        default="12345678",
        help="00000003 forces rechazado, 00000005 stays procesando, 00000009 ends in error",
    )
    parser.add_argument("--callback-url", default=None)
    args = parser.parse_args()
    numero = args.numero or random.SystemRandom().randint(1, 9_999_999)
    sample = Sample(tipo=args.tipo, numero=numero, security_code=args.security_code)
    key = load_signing_key(None, datetime.now(CR).timestamp())  # noqa: TID251 - a CLI helper, not the server
    print(json.dumps(body(sample, key, callback_url=args.callback_url), ensure_ascii=False))


if __name__ == "__main__":
    main()
