"""Forged and misused tokens: every one refused. Avenio's resource server checks what the mock signed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import Mock, MockFactory
from tests.providers.hacienda.conftest import login

EMIT = "/avenio/api/v1/bhe/emitir"
ISSUER = "https://api.uat.aveniocloud.com"
SCOPES = "boletas.read boletas.emit boletas.cancel"


@pytest.fixture
async def mock(make_mock: MockFactory) -> Mock:
    result: Mock = await make_mock(providers=("avenio", "hacienda"))
    return result


def _claims(mock: Mock, **changes: Any) -> dict[str, Any]:
    now = int(mock.runtime.clock.now())
    claims = {"iss": ISSUER, "aud": ISSUER, "sub": "sandbox-public", "client_id": "sandbox-public"}
    claims |= {"scope": SCOPES, "iat": now, "nbf": now, "exp": now + 600, "jti": "forged"}
    return claims | changes


def _signed(mock: Mock, **changes: Any) -> str:
    """Signed by the mock's own key; a change to None drops the claim."""
    key = mock.runtime.keys
    claims = {k: v for k, v in _claims(mock, **changes).items() if v is not None}
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def _other_key(mock: Mock) -> str:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(_claims(mock), stranger, algorithm="RS256", headers={"kid": mock.runtime.keys.kid})


def _alg_none(mock: Mock) -> str:
    return jwt.encode(_claims(mock), None, algorithm="none")


def _hs256_with_the_public_key(mock: Mock) -> str:
    import base64
    import hashlib
    import hmac
    import json

    from cryptography.hazmat.primitives import serialization

    public = mock.runtime.keys.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(_claims(mock))}"
    mac = hmac.new(public, unsigned.encode(), hashlib.sha256).digest()
    return unsigned + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


FORGERIES: dict[str, Callable[[Mock], str]] = {
    "signed-by-another-key": _other_key,
    "alg-none": _alg_none,
    "hs256-keyed-with-the-public-key": _hs256_with_the_public_key,
    "expired": lambda m: _signed(m, exp=int(m.runtime.clock.now()) - 1),
    "not-yet-valid": lambda m: _signed(m, nbf=int(m.runtime.clock.now()) + 60),
    "wrong-audience": lambda m: _signed(m, aud="https://api.example.com"),
    "wrong-issuer": lambda m: _signed(
        m, iss="https://idp.comprobanteselectronicos.go.cr/auth/realms/rut-stag"
    ),
    "garbage": lambda m: "not.a.jwt",
    "without-exp": lambda m: _signed(m, exp=None),
    "string-nbf": lambda m: _signed(m, nbf="yesterday"),
    "boolean-exp": lambda m: _signed(m, exp=True),
}


async def _emit(mock: Mock, token: str) -> tuple[int, Any]:
    response = await mock.client.post(EMIT, json={}, headers={"Authorization": f"Bearer {token}"})
    return response.status, await response.json()


async def test_a_genuine_token_passes_authentication(mock: Mock) -> None:
    status, _ = await _emit(mock, _signed(mock))
    assert status not in (401, 403)  # the empty body is refused later, by validation


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_or_misused_token_is_refused(mock: Mock, forgery: str) -> None:
    status, body = await _emit(mock, FORGERIES[forgery](mock))
    assert status == 401, body
    assert body["success"] is False and body["error"]["code"] in ("invalid_token", "unauthorized")


async def test_another_providers_token_is_refused(mock: Mock) -> None:
    hacienda_token = (await login(mock))["access_token"]  # signed by the same mock key, another issuer
    status, _ = await _emit(mock, hacienda_token)
    assert status == 401


async def test_a_token_without_the_scope_is_forbidden(mock: Mock) -> None:
    status, body = await _emit(mock, _signed(mock, scope="boletas.read"))
    assert status == 403 and body["error"]["code"] == "insufficient_scope"


async def test_hacienda_refuses_an_avenio_token_and_a_forged_realm_token(mock: Mock) -> None:
    recepcion = "/hacienda/recepcion-sandbox/v1/recepcion"
    realm = "https://idp.comprobanteselectronicos.go.cr/auth/realms/rut-stag"
    for token in (_signed(mock), _other_key(mock), _alg_none(mock), _signed(mock, iss=realm, aud="api-stag")):
        response = await mock.client.post(recepcion, json={}, headers={"Authorization": f"bearer {token}"})
        assert response.status == 401, token


@pytest.mark.parametrize(
    "change", [{"nbf": 60}, {"exp": None}, {"nbf": "soon"}], ids=["future-nbf", "no-exp", "string-nbf"]
)
async def test_hacienda_refuses_its_own_token_not_yet_valid_or_with_odd_times(
    mock: Mock, change: dict[str, Any]
) -> None:
    recepcion = "/hacienda/recepcion-sandbox/v1/recepcion"
    genuine = (await login(mock))["access_token"]
    claims = jwt.decode(genuine, options={"verify_signature": False})
    for name, value in change.items():
        if value is None:
            del claims[name]
        else:
            claims[name] = int(mock.runtime.clock.now()) + value if isinstance(value, int) else value
    key = mock.runtime.keys
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    response = await mock.client.post(recepcion, json={}, headers={"Authorization": f"bearer {token}"})
    assert response.status == 401
    assert (
        await mock.client.post(recepcion, json={}, headers={"Authorization": f"bearer {genuine}"})
    ).status == 400
