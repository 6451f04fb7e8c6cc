"""The Keycloak token endpoint: grants, Keycloak's exact errors, RS256 JWTs, JWKS, logout."""

from __future__ import annotations

from typing import Any

import jwt

from tests.conftest import Mock
from tests.providers.hacienda.conftest import TOKEN, USER, login

CERTS = "/hacienda/auth/realms/rut-stag/protocol/openid-connect/certs"
LOGOUT = "/hacienda/auth/realms/rut-stag/protocol/openid-connect/logout"


async def _form(mock: Mock, data: dict[str, str], path: str = TOKEN) -> Any:
    return await mock.client.post(path, data=data)


async def test_password_grant_returns_keycloak_fields(mock: Mock) -> None:
    tokens = await login(mock)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 300
    assert tokens["refresh_expires_in"] == 1800
    assert tokens["not-before-policy"] == 0
    assert tokens["session_state"]
    assert "scope" in tokens


async def test_tokens_are_rs256_jwts_verifiable_with_the_published_jwks(mock: Mock) -> None:
    tokens = await login(mock)
    jwks = await (await mock.client.get(CERTS)).json()
    key = jwt.PyJWK(jwks["keys"][0])
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "RS256"
    assert header["kid"] == jwks["keys"][0]["kid"]

    # the signature and audience are checked; times are the frozen mock clock's, not this machine's
    def verify(token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience="api-stag",
            options={"verify_exp": False, "verify_iat": False},
        )
        return claims

    access = verify(tokens["access_token"])
    assert access["iss"] == "https://idp.comprobanteselectronicos.go.cr/auth/realms/rut-stag"
    assert access["azp"] == "api-stag"
    assert access["typ"] == "Bearer"
    assert access["preferred_username"] == USER
    assert access["exp"] - access["iat"] == 300
    refresh = verify(tokens["refresh_token"])
    assert refresh["typ"] == "Refresh"
    assert refresh["aud"] == "api-stag"
    assert refresh["exp"] - refresh["iat"] == 1800


async def test_production_realm_issues_api_prod_tokens(mock: Mock) -> None:
    tokens = await login(mock, realm="rut")
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["iss"].endswith("/auth/realms/rut")
    assert claims["azp"] == "api-prod"


async def test_wrong_password_returns_401_invalid_grant(mock: Mock) -> None:
    response = await _form(
        mock,
        {"grant_type": "password", "client_id": "api-stag", "username": USER, "password": "wrong-password"},
    )
    assert response.status == 401
    assert await response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid user credentials",
    }


async def test_unknown_client_returns_401_invalid_client(mock: Mock) -> None:
    response = await _form(
        mock, {"grant_type": "password", "client_id": "api-prod", "username": USER, "password": "x"}
    )
    assert response.status == 401
    assert (await response.json())["error"] == "invalid_client"


async def test_unsupported_grant_and_missing_grant_return_400(mock: Mock) -> None:
    response = await _form(mock, {"grant_type": "client_credentials", "client_id": "api-stag"})
    assert response.status == 400
    assert await response.json() == {
        "error": "unsupported_grant_type",
        "error_description": "Unsupported grant_type",
    }
    response = await _form(mock, {"client_id": "api-stag"})
    assert response.status == 400
    assert (await response.json())["error_description"] == "Missing form parameter: grant_type"


async def test_unknown_realm_returns_404_realm_does_not_exist(mock: Mock) -> None:
    response = await _form(
        mock,
        {"grant_type": "password", "client_id": "api-stag"},
        path="/hacienda/auth/realms/nope/protocol/openid-connect/token",
    )
    assert response.status == 404
    assert await response.json() == {"error": "Realm does not exist"}


async def test_refresh_grant_issues_new_tokens_until_the_refresh_token_expires(mock: Mock) -> None:
    tokens = await login(mock)
    refresh = {
        "grant_type": "refresh_token",
        "client_id": "api-stag",
        "refresh_token": tokens["refresh_token"],
    }
    response = await _form(mock, refresh)
    assert response.status == 200
    assert (await response.json())["session_state"] == tokens["session_state"]
    await mock.advance(1801)
    response = await _form(mock, refresh)
    assert response.status == 400
    assert await response.json() == {"error": "invalid_grant", "error_description": "Token is not active"}


async def test_malformed_refresh_token_returns_400_invalid_grant(mock: Mock) -> None:
    response = await _form(
        mock, {"grant_type": "refresh_token", "client_id": "api-stag", "refresh_token": "abc"}
    )
    assert response.status == 400
    assert (await response.json())["error"] == "invalid_grant"


async def test_logout_returns_204_and_ends_the_refresh_token(mock: Mock) -> None:
    tokens = await login(mock)
    response = await _form(
        mock, {"client_id": "api-stag", "refresh_token": tokens["refresh_token"]}, path=LOGOUT
    )
    assert response.status == 204
    response = await _form(
        mock,
        {"grant_type": "refresh_token", "client_id": "api-stag", "refresh_token": tokens["refresh_token"]},
    )
    assert response.status == 400
    assert (await response.json())["error_description"] == "Token is not active"


async def test_token_lifetimes_are_configurable(make_mock: Any) -> None:
    mock = await make_mock(
        provider_options={
            "hacienda": {
                "accept_status": 201,
                "access_token_ttl": 60,
                "refresh_token_ttl": 120,
                "processing_delay": 1.0,
                "decision_delay": 2.0,
            }
        }
    )
    tokens = await login(mock)
    assert (tokens["expires_in"], tokens["refresh_expires_in"]) == (60, 120)


async def test_openid_configuration_points_at_the_mock_endpoints(mock: Mock) -> None:
    response = await mock.client.get("/hacienda/auth/realms/rut-stag/.well-known/openid-configuration")
    doc = await response.json()
    assert doc["issuer"] == "https://idp.comprobanteselectronicos.go.cr/auth/realms/rut-stag"
    assert doc["jwks_uri"].endswith("/hacienda/auth/realms/rut-stag/protocol/openid-connect/certs")
