"""Every DTE the Chilean providers serve (Bsale's urlXml, Tu Pana's document XML) passes the SII's own
schema (DTE_v10.xsd, shipped by the `cl-sii` package), carries an enveloped XMLDSig signature over
Documento by the mock's key, and a TED whose FRMT verifies with its CAF's key and whose CAF's FRMA
verifies with the mock's. The signatures are checked here with cryptography and lxml alone.

Every type each provider emits that DTE_v10 covers is checked: 33, 34, 46, 52, 56 and 61 as
`Documento`, Bsale's 43 as `Liquidacion`, the exports 110 (both) and 111, 112 (Tu Pana) as
`Exportaciones`. Boletas (39, 41) have a schema of their own, which `cl-sii` does not ship."""

from __future__ import annotations

import base64
import copy
import hashlib
from importlib import resources
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from tests.conftest import Mock, MockFactory
from tests.providers.bsale.conftest import Bsale, boleta
from tests.providers.tupana.conftest import Tupana, factura

cl_sii = pytest.importorskip("cl_sii")
SII = "{http://www.sii.cl/SiiDte}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SCHEMAS = "data/ref/factura_electronica/schemas-xml"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    path = resources.files(cl_sii).joinpath(f"{SCHEMAS}/DTE_v10.xsd")
    with resources.as_file(path) as xsd:
        return etree.XMLSchema(etree.parse(str(xsd)))


@pytest.fixture
async def mock(make_mock: MockFactory) -> Mock:
    result: Mock = await make_mock(providers=("bsale", "tupana"), lifecycle="immediate")
    return result


def _plain(element: etree._Element) -> etree._Element:
    """The element as the SII signs a TED's parts: flattened, without the document's namespace."""
    plain = copy.deepcopy(element)
    for node in plain.iter():
        if isinstance(node.tag, str):
            node.tag = etree.QName(node).localname
    etree.cleanup_namespaces(plain)
    return plain


def _verify(key: rsa.RSAPublicKey, signature: str, data: bytes) -> None:
    key.verify(base64.b64decode(signature), data, padding.PKCS1v15(), hashes.SHA1())  # raises if it does not


def _check(schema: etree.XMLSchema, xml: bytes, mock: Mock, tipo: str) -> None:
    root = etree.fromstring(xml)
    assert schema.validate(root), [str(e) for e in schema.error_log][:3]
    layout = (
        "Exportaciones" if tipo in ("110", "111", "112") else "Liquidacion" if tipo == "43" else "Documento"
    )
    documento = root.find(f"{SII}{layout}")
    assert documento is not None and documento.findtext(f"{SII}Encabezado/{SII}IdDoc/{SII}TipoDTE") == tipo
    # the enveloped signature over Documento, by the mock's key
    signature = root.find(f"{DS}Signature")
    assert signature is not None
    reference = signature.find(f"{DS}SignedInfo/{DS}Reference")
    assert reference is not None and reference.get("URI") == f"#{documento.get('ID')}"
    digest = base64.b64encode(hashlib.sha1(etree.tostring(documento, method="c14n")).digest()).decode()
    assert reference.findtext(f"{DS}DigestValue") == digest
    certificate = x509.load_der_x509_certificate(
        base64.b64decode(signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate") or "")
    )
    public = certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.public_numbers() == mock.runtime.keys.private_key.public_key().public_numbers()
    signed_info = signature.find(f"{DS}SignedInfo")
    assert signed_info is not None
    _verify(
        public, signature.findtext(f"{DS}SignatureValue") or "", etree.tostring(signed_info, method="c14n")
    )
    # the timbre: FRMT by the CAF's key over DD, FRMA by the SII's (the mock's) over DA
    dd = documento.find(f"{SII}TED/{SII}DD")
    assert dd is not None
    rsapk = dd.find(f"{SII}CAF/{SII}DA/{SII}RSAPK")
    assert rsapk is not None
    caf_key = rsa.RSAPublicNumbers(
        int.from_bytes(base64.b64decode(rsapk.findtext(f"{SII}E") or ""), "big"),
        int.from_bytes(base64.b64decode(rsapk.findtext(f"{SII}M") or ""), "big"),
    ).public_key()
    _verify(
        caf_key, documento.findtext(f"{SII}TED/{SII}FRMT") or "", etree.tostring(_plain(dd), method="c14n")
    )
    da = dd.find(f"{SII}CAF/{SII}DA")
    assert da is not None
    _verify(public, dd.findtext(f"{SII}CAF/{SII}FRMA") or "", etree.tostring(_plain(da), method="c14n"))
    assert dd.findtext(f"{SII}TD") == tipo and dd.findtext(f"{SII}F") == documento.findtext(
        f"{SII}Encabezado/{SII}IdDoc/{SII}Folio"
    )


async def _xml_at(mock: Mock, url: str) -> bytes:
    base = str(mock.client.make_url("")).rstrip("/")
    response = await mock.client.get(url.replace(base, ""))
    assert response.status == 200, await response.text()
    return await response.read()


@pytest.mark.parametrize("code", [33, 34, 43, 46, 52, 56, 61, 110])
async def test_every_bsale_dte_passes_the_sii_schema_and_its_signatures_verify(
    mock: Mock, schema: etree.XMLSchema, code: int
) -> None:
    bsale = Bsale(mock)
    body: dict[str, Any] = {**boleta(23438), "codeSii": code, "clientId": 24}
    if code in (56, 61):  # a credit note comes from a return, a debit note from its annulment
        sold = await bsale.factura((1, 2))
        given_back = await bsale.made(
            "returns.json",
            {
                "documentTypeId": 5,
                "referenceDocumentId": sold["id"],
                "clientId": 24,
                "details": [{"documentDetailId": sold["details"]["items"][0]["id"], "quantity": 1}],
            },
        )
        note = given_back["credit_note"]["id"]
        if code == 56:
            annulment = await bsale.made(f"returns/{given_back['id']}/annulments.json", {"documentTypeId": 6})
            note = annulment["debit_note"]["id"]
        made = await bsale.get_json(f"documents/{note}.json")
    elif code == 52:  # a guía comes from a shipping
        shipping = await bsale.made(
            "shippings.json",
            {**body, "shippingTypeId": 5, "address": "Bodega 3", "municipality": "Quilicura"},
        )
        made = await bsale.get_json(f"documents/{shipping['guide']['id']}.json")
    elif code == 110:  # an export carries its customs facts
        customs = {"clauseCode": "CIF", "clauseAmount": 175175.78, "saleModeId": 3}  # the seed's
        customs |= {"countryCode": "225", "transportPathId": 4, "totalPackages": 480}
        made = await bsale.create({**body, "customsData": customs})
    else:
        made = await bsale.create(body)
    xml = await _xml_at(mock, made["urlXml"])
    _check(schema, xml, mock, str(code))
    if code in (56, 61):
        assert b"<CodRef>" in xml  # why the note references its document
    if code == 52:
        assert b"<IndTraslado>5</IndTraslado>" in xml and b"<DirDest>Bodega 3</DirDest>" in xml
    if code == 110:
        assert b"<CodClauVenta>1</CodClauVenta>" in xml and b"<TotBultos>480</TotBultos>" in xml


@pytest.mark.parametrize("code", ["33", "34", "46", "52", "56", "61", "110", "111", "112"])
async def test_every_tupana_dte_passes_the_sii_schema_and_its_signatures_verify(
    mock: Mock, schema: etree.XMLSchema, code: str
) -> None:
    tupana = Tupana(mock)
    await tupana.enrol()
    document: dict[str, Any] = factura(dte_type={"code": code})
    if code in ("56", "61", "111", "112"):
        document["references"] = [
            {
                "dte_type_code": "33",
                "reference_folio": "1",
                "reference_date": "2026-11-20",
                "reference_reason": "Anula",
            }
        ]
    created = await (await tupana.batch([document])).json()
    assert not created["documents"][0].get("errors"), created
    doc_id = created["documents"][0]["document"]["id"]
    full = await tupana.ok("GET", f"/documents/{doc_id}/")
    _check(schema, await _xml_at(mock, full["xml"]), mock, code)
