"""The token endpoint and bearer checks: client_credentials, Basic auth, scopes, the envelope."""

from __future__ import annotations

import base64
from typing import Any

import jwt

from tests.conftest import Mock
from tests.providers.avenio.conftest import API, TOKEN, Avenio, emision, token


async def _token(mock: Mock, form: dict[str, str], **headers: str) -> Any:
    return await mock.client.post(TOKEN, data=form, headers=headers)


async def test_token_answers_the_common_envelope_with_a_signed_jwt(mock: Mock) -> None:
    response = await _token(
        mock,
        {
            "grant_type": "client_credentials",
            "client_id": "sandbox-public",
            "client_secret": "sandbox-public-secret",
            "scope": "boletas.emit boletas.cancel",
        },
    )
    assert response.status == 200
    body = await response.json()
    assert body["success"] is True
    assert body["traceId"]
    data = body["data"]
    assert (data["expiresIn"], data["scope"], data["tokenType"]) == (
        3600,
        "boletas.emit boletas.cancel",
        "Bearer",
    )
    jwks = await (await mock.client.get("/avenio/.well-known/jwks.json")).json()
    claims = jwt.decode(
        data["accessToken"],
        jwt.PyJWK(jwks["keys"][0]).key,
        algorithms=["RS256"],
        audience="https://api.uat.aveniocloud.com",
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    assert claims["iss"] == "https://api.uat.aveniocloud.com"
    assert claims["sub"] == "sandbox-public"
    assert claims["scope"] == "boletas.emit boletas.cancel"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"]


async def test_no_scope_requested_grants_the_clients_defaults(mock: Mock) -> None:
    response = await _token(
        mock,
        {
            "grant_type": "client_credentials",
            "client_id": "bhe-emitter",
            "client_secret": "bhe-emitter-secret",
        },
    )
    assert (await response.json())["data"]["scope"] == "boletas.emit boletas.read"


async def test_http_basic_client_authentication_is_accepted(mock: Mock) -> None:
    basic = base64.b64encode(b"sandbox-public:sandbox-public-secret").decode()
    response = await _token(mock, {"grant_type": "client_credentials"}, Authorization=f"Basic {basic}")
    assert response.status == 200


async def test_wrong_secret_is_401_invalid_client_in_the_envelope(mock: Mock) -> None:
    response = await _token(
        mock,
        {
            "grant_type": "client_credentials",
            "client_id": "sandbox-public",
            "client_secret": "not-the-secret",
        },
    )
    assert response.status == 401
    body = await response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "invalid_client"
    assert body["traceId"]


async def test_a_new_client_registers_on_first_use_and_must_repeat_its_secret(mock: Mock) -> None:
    assert await token(mock, ("my-integration", "s3cret"))
    response = await _token(
        mock, {"grant_type": "client_credentials", "client_id": "my-integration", "client_secret": "other"}
    )
    assert response.status == 401


async def test_unsupported_grant_is_400(mock: Mock) -> None:
    response = await _token(
        mock,
        {"grant_type": "password", "client_id": "sandbox-public", "client_secret": "sandbox-public-secret"},
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "unsupported_grant_type"


async def test_unknown_or_unallowed_scope_is_400_invalid_scope(mock: Mock) -> None:
    for client, scope in (
        (("sandbox-public", "sandbox-public-secret"), "boletas.delete"),
        (("bhe-reader", "bhe-reader-secret"), "boletas.emit"),
    ):
        response = await _token(
            mock,
            {
                "grant_type": "client_credentials",
                "client_id": client[0],
                "client_secret": client[1],
                "scope": scope,
            },
        )
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "invalid_scope"


async def test_both_auth_headers_are_accepted(mock: Mock) -> None:
    access = await token(mock)
    for headers in ({"Authorization": f"Bearer {access}"}, {"X-Avenio-Authorization": access}):
        response = await mock.client.get(f"{API}/operaciones/nope", headers=headers)
        assert response.status == 404, headers


async def test_missing_and_expired_tokens_are_401(mock: Mock) -> None:
    response = await mock.client.get(f"{API}/operaciones/x")
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthorized"
    access = await token(mock)
    await mock.advance(3601)
    response = await mock.client.get(f"{API}/operaciones/x", headers={"Authorization": f"Bearer {access}"})
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_token_without_the_operations_scope_is_403(mock: Mock) -> None:
    reader = Avenio(mock, await token(mock, ("bhe-reader", "bhe-reader-secret")))
    response = await reader.post("emitir", emision())
    assert response.status == 403
    error = (await response.json())["error"]
    assert error["code"] == "insufficient_scope"
    assert error["details"] == {"required": ["boletas.emit"], "granted": ["boletas.read"]}
    emitter = Avenio(mock, await token(mock, scope="boletas.emit"))
    response = await mock.client.get(f"{API}/operaciones/x", headers=emitter.headers)
    assert response.status == 404  # it may read the operations it starts: this one does not exist


async def test_correlation_id_is_echoed_or_made_up(mock: Mock) -> None:
    response = await mock.client.get(f"{API}/operaciones/x", headers={"X-Correlation-Id": "abc-123"})
    assert response.headers["X-Correlation-Id"] == "abc-123"
    response = await mock.client.get(f"{API}/operaciones/x")
    assert response.headers["X-Correlation-Id"] == (await response.json())["traceId"]


async def test_a_client_gets_120_calls_a_minute_then_429_in_the_envelope(avenio: Avenio) -> None:
    for _ in range(120):
        response = await avenio.mock.client.get(f"{API}/operaciones/x", headers=avenio.headers)
    assert response.headers["X-RateLimit-Remaining"] == "0"
    response = await avenio.mock.client.get(f"{API}/operaciones/x", headers=avenio.headers)
    assert response.status == 429
    body = await response.json()
    assert (body["success"], body["error"]["code"]) == (False, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    await avenio.mock.advance(60)
    await avenio.refresh()
    assert (await avenio.mock.client.get(f"{API}/operaciones/x", headers=avenio.headers)).status == 404


async def test_a_token_request_without_a_body_is_400_bad_request(mock: Mock) -> None:
    response = await mock.client.post(TOKEN)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_the_quickstarts_token_polls_the_operations_it_started(mock: Mock) -> None:
    """Step 2 asks for `boletas.emit boletas.cancel`, step 4 polls the emission with that token."""
    emitter = Avenio(mock, await token(mock, scope="boletas.emit boletas.cancel"))
    operation = await emitter.run("emitir", emision())
    assert operation["status"] == "completed"
    canceller = Avenio(mock, await token(mock, scope="boletas.cancel"))
    response = await mock.client.get(
        f"{API}/operaciones/{operation['operationId']}", headers=canceller.headers
    )
    assert response.status == 403  # an annulment's scope does not read emissions
    error = (await response.json())["error"]
    assert (error["code"], error["details"]["granted"]) == ("insufficient_scope", ["boletas.cancel"])
