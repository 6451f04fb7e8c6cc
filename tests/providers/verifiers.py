"""The two XML signature verifiers receivers use, each given the certificate the document carries:
signxml (pure Python on lxml; XAdESVerifier for XAdES) and python-xmlsec (libxmlsec1). Each answers
whether the signature holds; neither is told which key to expect beyond what the file carries."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
from signxml.xades import XAdESVerifier

xmlsec = pytest.importorskip("xmlsec")
DS = "{http://www.w3.org/2000/09/xmldsig#}"
# the SII's profile: RSA-SHA1 and SHA1, which signxml accepts only when asked
SII_PROFILE = SignatureConfiguration(
    signature_methods=frozenset({SignatureMethod.RSA_SHA1}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA1}),
)


def carried(xml: bytes) -> x509.Certificate:
    text = etree.fromstring(xml).findtext(f"{DS}Signature/{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    return x509.load_der_x509_certificate(base64.b64decode(text or ""))


def signxml_verifies(xml: bytes, *, sii: bool = False, xades: bool = False) -> bool:
    try:
        if xades:
            XAdESVerifier().verify(xml, x509_cert=carried(xml))
        else:
            config = SII_PROFILE if sii else SignatureConfiguration()
            XMLVerifier().verify(xml, x509_cert=carried(xml), expect_config=config)
    except Exception:  # signxml's InvalidSignature, InvalidDigest, InvalidInput
        return False
    return True


def xmlsec_verifies(xml: bytes) -> bool:
    root = etree.fromstring(xml)
    context = xmlsec.SignatureContext()
    pem = carried(xml).public_bytes(serialization.Encoding.PEM)
    context.key = xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatCertPem)
    xmlsec.tree.add_ids(root, ["ID", "Id"])  # a DTE's Documento, a XAdES SignedProperties
    try:
        context.verify(xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature))
    except xmlsec.Error:
        return False
    return True
