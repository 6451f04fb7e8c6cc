"""Hacienda's signatures both ways: the MensajeHacienda it answers with is XAdES-EPES and verifies in
signxml's XAdESVerifier and in python-xmlsec; the comprobantes it takes may be signed by either library,
and one whose digest or signature does not hold is rechazado in Hacienda's words."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from mockserver.providers.hacienda import respuesta, sample
from mockserver.providers.hacienda.clave import parse_fecha
from mockserver.providers.hacienda.state import FORCE_RECHAZADO
from tests.providers.hacienda.conftest import Hacienda
from tests.providers.verifiers import carried, signxml_verifies, xmlsec, xmlsec_verifies

MH = "{https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/mensajeHacienda}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
XADES = "{http://uri.etsi.org/01903/v1.3.2#}"
ACCEPTED = respuesta.SANDBOX_PREFIX
INVALID = '-1, "La firma del comprobante electrónico no es válida", 0, 0'


async def _decided(hacienda: Hacienda, s: sample.Sample, xml: bytes | None = None) -> tuple[str, str]:
    response = await hacienda.post(hacienda.body(s, xml=xml))
    assert response.status == 201, response.headers.get("X-Error-Cause")
    await hacienda.mock.advance(5)
    status = await hacienda.status(s.clave)
    detail = etree.fromstring(base64.b64decode(status["respuesta-xml"])).findtext(f"{MH}DetalleMensaje", "")
    return status["ind-estado"], detail


@pytest.mark.parametrize("outcome", ["aceptado", "rechazado"])
async def test_every_mensaje_hacienda_is_xades_epes_and_both_verifiers_accept_it(
    hacienda: Hacienda, outcome: str
) -> None:
    s = sample.Sample(security_code=FORCE_RECHAZADO if outcome == "rechazado" else "12345678")
    before = hacienda.mock.runtime.clock.utcnow()
    await hacienda.submit(s)
    await hacienda.mock.advance(5)
    xml = await hacienda.respuesta(s.clave)
    assert (b"<Mensaje>3</Mensaje>" in xml) is (outcome == "rechazado")
    assert signxml_verifies(xml, xades=True) and xmlsec_verifies(xml)
    # the SignedProperties: when (on the sandbox's clock, Costa Rica's time), by which certificate, under
    # which policy
    properties = etree.fromstring(xml).find(f"{DS}Signature/{DS}Object/{XADES}QualifyingProperties")
    assert properties is not None
    signed = properties.find(f"{XADES}SignedProperties/{XADES}SignedSignatureProperties")
    assert signed is not None
    when = signed.findtext(f"{XADES}SigningTime") or ""
    assert when.endswith("-06:00") and before <= parse_fecha(when) <= hacienda.mock.runtime.clock.utcnow()
    der = carried(xml).public_bytes(serialization.Encoding.DER)
    digest = signed.findtext(f".//{XADES}SigningCertificateV2/{XADES}Cert/{XADES}CertDigest/{DS}DigestValue")
    assert digest == base64.b64encode(hashlib.sha256(der).digest()).decode()
    assert signed.find(f"{XADES}SignaturePolicyIdentifier") is not None
    # one byte of the message changed: neither verifier takes it
    changed = xml.replace(b"<TotalFactura>11300", b"<TotalFactura>11301")
    assert changed != xml
    assert not signxml_verifies(changed, xades=True) and not xmlsec_verifies(changed)


def _client_certificate() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A taxpayer's own key and certificate: nothing the mock knows beforehand, valid on the test clock."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RAZON SOCIAL S.A.")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2029, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _signed_with_xmlsec(root: etree._Element) -> bytes:
    """Enveloped RSA-SHA256 over the whole document (URI=""), the certificate embedded: what a client on
    libxmlsec1 writes."""
    key, certificate = _client_certificate()
    signature = xmlsec.template.create(
        root, xmlsec.constants.TransformInclC14N, xmlsec.constants.TransformRsaSha256, ns="ds"
    )
    root.append(signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri="")
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformInclC14N)
    key_info = xmlsec.template.ensure_key_info(signature)
    xmlsec.template.add_x509_data(key_info)
    context = xmlsec.SignatureContext()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    context.key = xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatPem)
    context.key.load_cert_from_memory(
        certificate.public_bytes(serialization.Encoding.PEM), xmlsec.constants.KeyDataFormatCertPem
    )
    context.sign(signature)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


async def test_a_comprobante_signed_xades_with_signxml_is_aceptado(hacienda: Hacienda) -> None:
    s = sample.Sample()
    xml = sample.sign(sample.unsigned_xml(s), hacienda.mock.runtime.keys)
    assert b"SignedProperties" in xml and signxml_verifies(xml, xades=True)
    assert await _decided(hacienda, s, xml) == ("aceptado", ACCEPTED)


async def test_a_comprobante_signed_with_xmlsec_by_the_taxpayers_own_certificate_is_aceptado(
    hacienda: Hacienda,
) -> None:
    s = sample.Sample()
    xml = _signed_with_xmlsec(sample.unsigned_xml(s))
    assert xmlsec_verifies(xml) and signxml_verifies(xml)
    assert await _decided(hacienda, s, xml) == ("aceptado", ACCEPTED)


@pytest.mark.parametrize("library", ["signxml", "xmlsec"])
async def test_a_comprobante_whose_digest_was_altered_is_rechazado_in_haciendas_words(
    hacienda: Hacienda, library: str
) -> None:
    s = sample.Sample()
    root = sample.unsigned_xml(s)
    xml = sample.sign(root, hacienda.mock.runtime.keys) if library == "signxml" else _signed_with_xmlsec(root)
    at = xml.index(b"DigestValue>") + len(b"DigestValue>")
    altered = xml[:at] + (b"A" if xml[at : at + 1] != b"A" else b"B") + xml[at + 1 :]
    estado, detail = await _decided(hacienda, s, altered)
    assert estado == "rechazado" and INVALID in detail


async def test_a_comprobante_whose_signature_value_was_altered_is_rechazado(hacienda: Hacienda) -> None:
    s = sample.Sample()
    xml = _signed_with_xmlsec(sample.unsigned_xml(s))
    at = xml.index(b"SignatureValue>") + len(b"SignatureValue>")
    altered = xml[:at] + (b"A" if xml[at : at + 1] != b"A" else b"B") + xml[at + 1 :]
    estado, detail = await _decided(hacienda, s, altered)
    assert estado == "rechazado" and INVALID in detail
