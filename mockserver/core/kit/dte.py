"""A Chilean DTE as the SII's schema (DTE_v10.xsd) has it: Encabezado, Detalle, Referencia, the TED
(timbre) with its CAF, TmstFirma, and an XMLDSig signature over Documento (signed with signxml), for
the providers' XML files. One builder for Bsale and Tu Pana: the element order, the lengths and the
signatures are the SII's, whatever each provider's records look like.

The SII signs with RSA-SHA1 over inclusive C14N (its xmldsignature_v10.xsd allows nothing else), and
the timbre's FRMT/FRMA are SHA1withRSA too. The mock's own key stands in for the CAF's and the SII's.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from lxml import etree


SII_NS = "http://www.sii.cl/SiiDte"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
# each group's elements in the schema's order: a record's fields are written in this order, whatever
# order the provider gives them in
ORDER = {
    "IdDoc": (
        "TipoDTE",
        "Folio",
        "FchEmis",
        "IndNoRebaja",
        "TipoDespacho",
        "IndTraslado",
        "IndServicio",
        "MntBruto",
        "FmaPago",
        "FchVenc",
    ),
    "Emisor": (
        "RUTEmisor",
        "RznSoc",
        "GiroEmis",
        "Telefono",
        "CorreoEmisor",
        "Acteco",
        "Sucursal",
        "CdgSIISucur",
        "DirOrigen",
        "CmnaOrigen",
        "CiudadOrigen",
    ),
    "Receptor": (
        "RUTRecep",
        "CdgIntRecep",
        "RznSocRecep",
        "GiroRecep",
        "Contacto",
        "CorreoRecep",
        "DirRecep",
        "CmnaRecep",
        "CiudadRecep",
    ),
    # where a guía's goods go, and an export's customs facts (Aduana, the last of Transporte's children)
    "Transporte": ("Patente", "RUTTrans", "DirDest", "CmnaDest", "CiudadDest"),
    "Aduana": (
        "CodModVenta",
        "CodClauVenta",
        "TotClauVenta",
        "CodViaTransp",
        "TotBultos",
        "CodPaisRecep",
        "CodPaisDestin",
    ),
    "Totales": ("TpoMoneda", "MntNeto", "MntExe", "TasaIVA", "IVA", "MntTotal"),
    "Detalle": (
        "NroLinDet",
        "TpoDocLiq",  # a liquidación's lines say what they settle
        "IndExe",
        "NmbItem",
        "DscItem",
        "QtyItem",
        "UnmdItem",
        "PrcItem",
        "DescuentoPct",
        "DescuentoMonto",
        "MontoItem",
    ),
    "Referencia": ("NroLinRef", "TpoDocRef", "FolioRef", "FchRef", "CodRef", "RazonRef"),
}
# the schema's maximum lengths: a longer value is cut, as an emission system must
LIMITS = {
    "RznSoc": 100,
    "GiroEmis": 80,
    "Sucursal": 20,
    "DirOrigen": 70,
    "CmnaOrigen": 20,
    "CiudadOrigen": 20,
    "RznSocRecep": 100,
    "GiroRecep": 40,
    "Contacto": 80,
    "DirRecep": 70,
    "CmnaRecep": 20,
    "CiudadRecep": 20,
    "NmbItem": 80,
    "DscItem": 1000,
    "UnmdItem": 4,
    "RazonRef": 90,
    "RSR": 40,
    "IT1": 40,
    "RS": 40,
}
DEFAULT_ACTECO = "620200"  # the SII requires one; a record without its activity code gets this one
MAX_LINES = 60  # Detalle[1..60]
EXPORTS = {"110", "111", "112"}  # laid out as Exportaciones, not Documento
LIQUIDACION = "43"  # a liquidación-factura is Liquidacion: it names both parties' addresses


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
    traslado: str | None = None  # a guía's IndTraslado: why the goods move
    transporte: dict[str, Any] | None = None  # DirDest, CmnaDest, CiudadDest, and "Aduana": {...}
    ted: str | None = None  # the timbre, if the provider keeps one (else `build` makes it)


@dataclass(frozen=True)
class Signer:
    """Who signs: the key (for the CAF, the timbre and the document) and its certificate (KeyInfo)."""

    private_key: RSAPrivateKey
    certificate_der: bytes


def fit(name: str, value: Any) -> str:
    text = str(value)
    limit = LIMITS.get(name)
    return text[:limit] if limit else text


def sign_sha1(key: RSAPrivateKey, element: etree._Element) -> str:
    """SHA1withRSA over the element's canonical form, as the SII's FRMA and FRMT are made."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start

    data = etree.tostring(element, method="c14n")
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA1())).decode()


def caf_key_of(key: RSAPrivateKey) -> RSAPrivateKey:
    from mockserver.core.kit import cafkey

    n = key.public_key().public_numbers().n
    return cafkey.caf_key(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def caf(key: RSAPrivateKey, *, re: str, rs: str, td: str, start: int, end: int, fa: str) -> etree._Element:
    """The CAF the SII grants for a type: its range and the public half of the key it grants (an RSA-512
    key drawn from `key`), signed by `key` (FRMA), which stands for the SII's."""
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start

    node = etree.Element("CAF", version="1.0")
    da = etree.SubElement(node, "DA")
    for name, value in (("RE", re), ("RS", fit("RS", rs)), ("TD", td)):
        etree.SubElement(da, name).text = value
    rng = etree.SubElement(da, "RNG")
    etree.SubElement(rng, "D").text = str(start)
    etree.SubElement(rng, "H").text = str(end)
    etree.SubElement(da, "FA").text = fa
    rsapk = etree.SubElement(da, "RSAPK")
    numbers = caf_key_of(key).public_key().public_numbers()
    size = caf_key_of(key).key_size // 8
    etree.SubElement(rsapk, "M").text = base64.b64encode(numbers.n.to_bytes(size, "big")).decode()
    etree.SubElement(rsapk, "E").text = base64.b64encode(numbers.e.to_bytes(3, "big")).decode()
    etree.SubElement(da, "IDK").text = "300"
    etree.SubElement(node, "FRMA", algoritmo="SHA1withRSA").text = sign_sha1(key, da)
    return node


def ted(key: RSAPrivateKey, facts: dict[str, str], caf_xml: bytes, tsted: str) -> str:
    """The timbre: DD (RE, TD, F, FE, RR, RSR, MNT, IT1, its CAF, TSTED) signed by the CAF's key (FRMT),
    the one `caf` grants for `key`."""
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start

    root = etree.Element("TED", version="1.0")
    dd = etree.SubElement(root, "DD")
    for name in ("RE", "TD", "F", "FE", "RR", "RSR", "MNT", "IT1"):
        etree.SubElement(dd, name).text = fit(name, facts[name])
    dd.append(etree.fromstring(caf_xml))
    etree.SubElement(dd, "TSTED").text = tsted
    etree.SubElement(root, "FRMT", algoritmo="SHA1withRSA").text = sign_sha1(caf_key_of(key), dd)
    return etree.tostring(root, encoding="unicode")


def build(dte: Dte, signer: Signer, signed_at: str, encoding: str = "ISO-8859-1") -> bytes:
    """The DTE, stamped and signed. `signed_at` (YYYY-MM-DDTHH:MM:SS) is TmstFirma and the timbre's
    TSTED, so the same document gives the same bytes on every download."""
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start

    root = etree.Element(f"{{{SII_NS}}}DTE", version="1.0", nsmap={None: SII_NS})  # type: ignore[dict-item]
    ident = f"T{dte.tipo}F{dte.folio}"
    export = dte.tipo in EXPORTS
    layout = "Exportaciones" if export else "Liquidacion" if dte.tipo == LIQUIDACION else "Documento"
    doc = etree.SubElement(root, f"{{{SII_NS}}}{layout}", ID=ident)

    def group(parent: etree._Element, name: str, values: dict[str, Any]) -> etree._Element:
        node = etree.SubElement(parent, f"{{{SII_NS}}}{name}")
        for key in ORDER[name]:
            value = values.get(key)
            if value is not None and value != "":
                etree.SubElement(node, f"{{{SII_NS}}}{key}").text = fit(key, value)
        return node

    header = etree.SubElement(doc, f"{{{SII_NS}}}Encabezado")
    group(
        header,
        "IdDoc",
        {
            "TipoDTE": dte.tipo,
            "Folio": dte.folio,
            "FchEmis": dte.fecha,
            "IndTraslado": dte.traslado,
            "FmaPago": dte.forma_pago,
        },
    )
    emisor = {**dte.emisor, "Acteco": dte.emisor.get("Acteco") or DEFAULT_ACTECO}
    receptor = {**dte.receptor, "RznSocRecep": dte.receptor.get("RznSocRecep") or "SIN NOMBRE"}
    if layout == "Liquidacion":  # the schema requires what a record may not have
        emisor["DirOrigen"] = emisor.get("DirOrigen") or "SIN DIRECCION"
        for key, blank in (
            ("GiroRecep", "SIN GIRO"),
            ("DirRecep", "SIN DIRECCION"),
            ("CmnaRecep", "SIN COMUNA"),
        ):
            receptor[key] = receptor.get(key) or blank
    group(header, "Emisor", emisor)
    group(header, "Receptor", receptor)
    if dte.transporte:
        transporte = group(header, "Transporte", dte.transporte)
        if dte.transporte.get("Aduana"):
            group(transporte, "Aduana", dte.transporte["Aduana"])
    # an export is exempt and says its currency: the schema's Totales for it is TpoMoneda, MntExe, MntTotal
    totales = {"TpoMoneda": "PESO CL", "MntExe": dte.totales["MntTotal"], "MntTotal": dte.totales["MntTotal"]}
    group(header, "Totales", totales if export else dte.totales)
    lines = dte.detalles[:MAX_LINES] or [{"NmbItem": "Sin detalle", "MontoItem": dte.totales["MntTotal"]}]
    for n, line in enumerate(lines, start=1):
        settled = {"TpoDocLiq": "33"} if layout == "Liquidacion" else {}  # facturas, the usual case
        group(doc, "Detalle", {**line, **settled, "NroLinDet": n})
    for n, ref in enumerate(dte.referencias[:40], start=1):
        group(doc, "Referencia", {**ref, "NroLinRef": n})
    timbre = dte.ted or ted(signer.private_key, _facts(dte), _caf_of(dte, signer), signed_at)
    doc.append(_in_namespace(etree.fromstring(timbre)))
    etree.SubElement(doc, f"{{{SII_NS}}}TmstFirma").text = signed_at
    # signxml signs a copy read back from the serialised tree, so the digest is over the file's own
    # canonical form (the timbre came in without a namespace and was moved into the SII's)
    root = _signed(root, ident, signer)
    serialized = etree.tostring(root, xml_declaration=True, encoding=encoding)
    assert isinstance(serialized, bytes)  # an encoding was given, so lxml answers bytes
    return serialized


def _facts(dte: Dte) -> dict[str, str]:
    first = dte.detalles[0].get("NmbItem", "") if dte.detalles else ""
    return {
        "RE": str(dte.emisor["RUTEmisor"]),
        "TD": dte.tipo,
        "F": str(dte.folio),
        "FE": dte.fecha,
        "RR": str(dte.receptor["RUTRecep"]),
        "RSR": str(dte.receptor.get("RznSocRecep") or "SIN NOMBRE"),
        "MNT": str(dte.totales.get("MntTotal", 0)),
        "IT1": str(first),
    }


def _caf_of(dte: Dte, signer: Signer) -> bytes:
    from lxml import etree  # on first use: lxml costs ~5 MB and 6 ms at start

    node = caf(
        signer.private_key,
        re=str(dte.emisor["RUTEmisor"]),
        rs=str(dte.emisor.get("RznSoc", "")),
        td=dte.tipo,
        start=1,
        end=max(dte.folio, 1) + 10_000,
        fa=dte.fecha,
    )
    return etree.tostring(node)


def _in_namespace(node: etree._Element) -> etree._Element:
    """The timbre as the provider keeps it (no namespace) put in the SII's, as the schema has it."""
    for element in node.iter():
        if isinstance(element.tag, str) and not element.tag.startswith("{"):
            element.tag = f"{{{SII_NS}}}{element.tag}"
    return node


@functools.cache
def _sii_signer() -> Any:
    """signxml, made on first use (it is imported then), told the two things the SII's profile needs that
    it does not do by itself:

    - RSA-SHA1 and SHA1: the SII's `xmldsignature_v10.xsd` allows nothing else, and signxml refuses
      SHA1 unless told;
    - one Transform, C14N 1.0, as the SII's examples have it: the schema allows a single Transform, and
      signxml would write the enveloped-signature transform before it (a no-op here anyway: the
      Signature is the Documento's sibling, not inside it).

    The Signature is written with the `ds:` prefix rather than as the SII's examples (a default
    namespace): the SII accepts either, and in a default namespace lxml's canonical form of a subtree
    (which signxml's verifier uses) adds `xmlns=""` to the grandchildren of SignedInfo, so no signxml
    user could verify it (signxml issue 275)."""

    from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
    from signxml.signer import XMLSigner

    class Signer(XMLSigner):
        def check_deprecated_methods(self) -> None:
            pass

        def _build_transforms_for_reference(self, *, transforms_node: Any, **_: Any) -> None:
            from lxml import etree

            etree.SubElement(transforms_node, f"{{{DS_NS}}}Transform", Algorithm=C14N)

    return Signer(
        signature_algorithm=SignatureMethod.RSA_SHA1,
        digest_algorithm=DigestAlgorithm.SHA1,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    )


def _signed(root: etree._Element, ident: str, signer: Signer) -> etree._Element:
    """`root` with an XMLDSig Signature after its Documento, referencing it by its ID (`#T33F5`), laid
    out as the SII's schema has it: SignedInfo (C14N 1.0, rsa-sha1, one Reference with one Transform,
    sha1), SignatureValue, KeyInfo with KeyValue then X509Data. The Signature is built where it will
    stand (signxml fills a placeholder), so SignedInfo's canonical form is the one a verifier computes
    there, namespaces inherited from DTE included."""
    from cryptography import x509
    from lxml import etree

    etree.SubElement(root, f"{{{DS_NS}}}Signature", Id="placeholder", nsmap={"ds": DS_NS})
    signed: etree._Element = _sii_signer().sign(
        root,
        key=signer.private_key,
        cert=[x509.load_der_x509_certificate(signer.certificate_der)],
        reference_uri=f"#{ident}",
        always_add_key_value=True,
    )
    return signed
