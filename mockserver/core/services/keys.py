"""The mock's own RSA key and certificate: signs JWTs, publishes a JWKS, signs response XML."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockserver.paths import DEFAULT_SIGNING_KEY

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa


def b64url(data: bytes) -> str:
    """base64url without padding, as JOSE writes it (JWK members, thumbprints, JWS segments)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class SigningKey:
    """The key read at start; parsed, and its certificate made, on first use (cryptography costs
    ~8 MB and ~50 ms of start-up, and only signing and verifying requests need it).

    Without a PEM the mock makes a key of its own on first use and hands it to `keep` (the state file
    keeps it, so a restart's tokens and links stay valid): a key nobody else has, so nobody can sign a
    token or a download link this mock would take."""

    def __init__(self, pem: bytes | None, now: float, keep: Callable[[bytes], None] | None = None) -> None:
        if pem is not None and b"PRIVATE KEY-----" not in pem:
            raise ValueError("the signing key must be a PEM private key")
        self._pem = pem
        self._now = now
        self._keep = keep

    @cached_property
    def private_key(self) -> rsa.RSAPrivateKey:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        if self._pem is None:
            made = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self._pem = made.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            if self._keep is not None:
                self._keep(self._pem)
        key = serialization.load_pem_private_key(self._pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the signing key must be an RSA private key")
        return key

    @cached_property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key."""
        numbers = self.private_key.public_key().public_numbers()
        thumb = json.dumps(
            {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}, separators=(",", ":")
        )
        return b64url(hashlib.sha256(thumb.encode()).digest())

    @cached_property
    def certificate(self) -> x509.Certificate:
        """Self-signed (its own authority, so a verifier can trust it alone), valid from the day before
        the mock started, for ten years."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import NameOID

        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CR"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mockserver sandbox (not a real authority)"),
                x509.NameAttribute(NameOID.COMMON_NAME, "mockserver test signing key"),
            ]
        )
        start = dt.datetime.fromtimestamp(self._now, dt.UTC) - dt.timedelta(days=1)
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private_key.public_key())
            .serial_number(int(self.kid.encode().hex()[:30], 16))
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=3650))
            # a signing certificate, as verifiers (signxml, xmlsec) check: it signs documents
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.private_key, hashes.SHA256())
        )

    @cached_property
    def private_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def certificate_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @cached_property
    def certificate_der(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.certificate.public_bytes(serialization.Encoding.DER)

    def public_der_b64(self) -> str:
        """The public key as Keycloak's realm endpoint shows it: base64 DER SubjectPublicKeyInfo."""
        from cryptography.hazmat.primitives import serialization

        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def jwk(self) -> dict[str, Any]:
        from cryptography.hazmat.primitives import serialization

        numbers = self.private_key.public_key().public_numbers()
        x5c = base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()
        return {
            "kid": self.kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
            "x5c": [x5c],
        }


def load_signing_key(path: Path | None, now: float) -> SigningKey:
    """Read a key (the committed public test key when no path is given: for clients and fixtures that
    sign their own documents, never for a shared mock's own tokens)."""
    return SigningKey((path or DEFAULT_SIGNING_KEY).read_bytes(), now)
