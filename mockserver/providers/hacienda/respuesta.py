"""MensajeHacienda: the signed acceptance or rejection Hacienda returns as `respuesta-xml`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockserver.core.services.keys import SigningKey
from mockserver.providers.hacienda.clave import format_fecha
from mockserver.providers.hacienda.documents import NS_BASE

SANDBOX_PREFIX = (
    "Este comprobante fue aceptado en el ambiente de pruebas, "
    "por lo cual no tiene validez para fines tributarios"
)
ACEPTADO, RECHAZADO = "1", "3"


def error_list(errors: list[str]) -> str:
    """Hacienda's rejection format: a header line, then a CSV-like block (codigo, mensaje, fila, columna)."""
    rows = "\n".join(f'-1, "{message}", 0, 0' for message in errors)
    header = "El comprobante electrónico tiene los siguientes errores:"
    return f"{header}\n\n[\ncodigo, mensaje, fila, columna\n{rows}\n\n]"


@dataclass(frozen=True)
class Respuesta:
    clave: str
    nombre_emisor: str
    tipo_emisor: str
    cedula_emisor: str
    nombre_receptor: str | None
    tipo_receptor: str | None
    cedula_receptor: str | None
    mensaje: str
    detalle: str
    monto_total_impuesto: str | None
    total_factura: str
    version: str = "v4.4"


def build(respuesta: Respuesta, key: SigningKey, signed_at: datetime) -> bytes:
    """The MensajeHacienda XML, signed XAdES-EPES with the mock's own certificate: an enveloped RSA-SHA256
    signature over the document and its SignedProperties (SigningTime `signed_at`, on the sandbox's
    clock; the certificate's digest; Hacienda's signature policy). The seed's XAdES-XL adds a
    time-stamping authority's token and the certificate's revocation data; a mock has neither."""
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start
    from signxml.algorithms import CanonicalizationMethod
    from signxml.xades.xades import XAdESSigner

    from mockserver.providers.hacienda.sample import POLICY

    class Signer(XAdESSigner):
        def add_signing_time(
            self, signed_signature_properties: Any, sig_root: Any, signing_settings: Any
        ) -> None:
            from signxml.util import namespaces

            when = etree.SubElement(signed_signature_properties, f"{{{namespaces.xades}}}SigningTime")
            when.text = format_fecha(signed_at)  # Costa Rica's time, as Hacienda writes it

        def _get_token(self, length: int = 4) -> str:
            # the Ids signxml draws at random, drawn from the clave: the same answer gives the same bytes
            # (a restart that replays the log rebuilds the respuesta it served before)
            self.drawn = getattr(self, "drawn", 0) + 1
            seed = f"{respuesta.clave}:{respuesta.mensaje}:{self.drawn}".encode()
            return hashlib.sha256(seed).hexdigest()[: 2 * length].upper()

    ns = f"{NS_BASE}{respuesta.version}/mensajeHacienda"
    # a default namespace is keyed None in lxml; its stubs only allow str keys
    root = etree.Element(f"{{{ns}}}MensajeHacienda", nsmap={None: ns})  # type: ignore[dict-item]

    def add(name: str, value: str | None) -> None:
        if value is not None:
            etree.SubElement(root, f"{{{ns}}}{name}").text = value

    add("Clave", respuesta.clave)
    add("NombreEmisor", respuesta.nombre_emisor)
    add("TipoIdentificacionEmisor", respuesta.tipo_emisor)
    add("NumeroCedulaEmisor", respuesta.cedula_emisor)
    if respuesta.cedula_receptor:
        add("NombreReceptor", respuesta.nombre_receptor or "")
        add("TipoIdentificacionReceptor", respuesta.tipo_receptor or "")
        add("NumeroCedulaReceptor", respuesta.cedula_receptor)
    add("Mensaje", respuesta.mensaje)
    add("DetalleMensaje", respuesta.detalle)
    add("MontoTotalImpuesto", respuesta.monto_total_impuesto)
    add("TotalFactura", respuesta.total_factura)
    signer = Signer(signature_policy=POLICY, c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0)
    signed = signer.sign(root, key=key.private_key, cert=[key.certificate])
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
