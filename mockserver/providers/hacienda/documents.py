"""Reading a submitted comprobante: safe XML parsing, the facts Hacienda uses, the XAdES signature."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree

NS_BASE = "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/"
DS = "http://www.w3.org/2000/09/xmldsig#"


@functools.cache
def _parser() -> etree.XMLParser:
    """Never resolve entities or fetch anything: comprobantes come from strangers."""
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False, load_dtd=False
    )


class DocumentError(ValueError):
    """The comprobanteXml cannot be read at all (its text is the X-Error-Cause)."""


@dataclass(frozen=True)
class Party:
    tipo: str
    numero: str
    nombre: str


@dataclass
class Reading:
    root: str
    version: str  # "v4.3" | "v4.4"
    clave: str | None
    consecutivo: str | None
    emisor: Party | None
    receptor: Party | None
    total_impuesto: str | None
    total: str | None
    references: list[tuple[str, str]] = field(default_factory=list)  # (TipoDoc, Numero)
    signature_valid: bool = False
    signature_problem: str | None = None
    numero_consecutivo_receptor: str | None = None


def decode(comprobante_xml: str) -> bytes:
    try:
        return base64.b64decode(comprobante_xml.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DocumentError("El comprobanteXml no está codificado en Base64.") from None


def _text(node: etree._Element, *names: str) -> str | None:
    for name in names:
        found = node.find(f"{{*}}{name}")
        if found is None:
            return None
        node = found
    return (node.text or "").strip()


def _party(node: etree._Element, name: str) -> Party | None:
    party = node.find(f"{{*}}{name}")
    if party is None:
        return None
    return Party(
        _text(party, "Identificacion", "Tipo") or "",
        _text(party, "Identificacion", "Numero") or _text(party, "IdentificacionExtranjero") or "",
        _text(party, "Nombre") or "",
    )


def read(xml: bytes, *, at: datetime) -> Reading:
    """Parse and read the document; a signature problem is recorded, not raised (Hacienda rejects later)."""
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start

    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as error:
        raise DocumentError(f"El comprobanteXml no es un XML bien formado: {error.msg}.") from None
    namespace = etree.QName(root).namespace or ""
    match = re.match(re.escape(NS_BASE) + r"(v4\.[34])/", namespace)
    local = etree.QName(root).localname
    emisor: Party | None
    receptor: Party | None
    if local == "MensajeReceptor":
        emisor = Party("", _text(root, "NumeroCedulaEmisor") or "", "")
        receptor = Party(
            _text(root, "TipoIdentificacionReceptor") or "", _text(root, "NumeroCedulaReceptor") or "", ""
        )
        total_impuesto, total = _text(root, "MontoTotalImpuesto"), _text(root, "TotalFactura")
    else:
        emisor, receptor = _party(root, "Emisor"), _party(root, "Receptor")
        total_impuesto = _text(root, "ResumenFactura", "TotalImpuesto")
        total = _text(root, "ResumenFactura", "TotalComprobante")
    reading = Reading(
        root=local,
        version=match.group(1) if match else "",
        clave=_text(root, "Clave"),
        consecutivo=_text(root, "NumeroConsecutivo"),
        emisor=emisor,
        receptor=receptor,
        total_impuesto=total_impuesto,
        total=total,
        numero_consecutivo_receptor=_text(root, "NumeroConsecutivoReceptor"),
    )
    for ref in root.findall("{*}InformacionReferencia"):
        reading.references.append((_text(ref, "TipoDoc") or "", _text(ref, "Numero") or ""))
    reading.signature_valid, reading.signature_problem = verify_signature(root, at)
    return reading


def verify_signature(root: etree._Element, at: datetime) -> tuple[bool, str | None]:
    """Enveloped XMLDSig with the certificate it embeds; XAdES policy and Target are not insisted on."""
    from signxml.exceptions import InvalidInput, InvalidSignature
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    signature = root.find(f"{{{DS}}}Signature")
    if signature is None:
        return False, "El comprobante no está firmado."
    cert_node = signature.find(f".//{{{DS}}}X509Certificate")
    if cert_node is None or not (cert_node.text or "").strip():
        return False, "La firma no incluye el certificado del firmante."
    try:
        from cryptography import x509  # on first use

        der = base64.b64decode("".join((cert_node.text or "").split()))
        certificate = x509.load_der_x509_certificate(der)
    except (ValueError, binascii.Error):
        return False, "El certificado de la firma no es válido."
    config = SignatureConfiguration(
        expect_references=True, ignore_ambiguous_key_info=True, location="./", verification_time=at
    )
    try:
        XMLVerifier().verify(root, x509_cert=certificate, expect_config=config, validate_schema=False)
    except (InvalidSignature, InvalidInput) as error:
        return False, str(error)
    except Exception as error:  # signxml raises assorted errors on odd input; every one means "invalid"
        return False, f"{type(error).__name__}: {error}"
    return True, None
