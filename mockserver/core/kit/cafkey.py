"""The key a CAF grants, as the SII makes it: RSA-512, small enough that a timbre (the TED, which holds
the key and two signatures) fits the PDF417 barcode printed on the document. Derived from the mock's
signing key, so the same key signs the same documents after a restart."""

from __future__ import annotations

import functools
import hashlib
import random

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

CAF_KEY_BITS = 512  # the SII's CAF keys are RSA-512: a timbre must fit a PDF417 barcode


def _probable_prime(n: int, draw: random.Random) -> bool:
    """Miller-Rabin, 40 rounds."""
    if n % 2 == 0:
        return n == 2
    for small in (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % small == 0:
            return n == small
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(40):
        x = pow(draw.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


@functools.cache
def caf_key(seed: bytes) -> RSAPrivateKey:
    """The CAF key `seed` (the signing key's modulus) stands for: drawn from it, the same every time."""
    draw = random.Random(hashlib.sha256(b"caf-key\0" + seed).digest())
    e = 65537

    def prime() -> int:
        while True:
            p = draw.getrandbits(CAF_KEY_BITS // 2) | (3 << (CAF_KEY_BITS // 2 - 2)) | 1
            if (p - 1) % e and _probable_prime(p, draw):
                return p

    p, q = prime(), prime()
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, p * q),
    )
    return numbers.private_key()
