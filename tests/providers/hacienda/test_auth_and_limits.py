"""Bearer auth on recepción, tenant isolation, and the sandbox's per-minute rate limits."""

from __future__ import annotations

from typing import Any

import jwt

from mockserver.providers.hacienda import sample
from tests.conftest import Mock
from tests.providers.hacienda.conftest import API, Hacienda, login


async def test_missing_token_returns_401_with_www_authenticate(mock: Mock) -> None:
    response = await mock.client.get(f"{API}/comprobantes")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert await response.read() == b""


async def test_bearer_scheme_is_matched_case_insensitively(mock: Mock) -> None:
    token = (await login(mock))["access_token"]
    for scheme in ("bearer", "Bearer", "BEARER"):
        response = await mock.client.get(
            f"{API}/comprobantes", headers={"Authorization": f"{scheme} {token}"}
        )
        assert response.status == 200, scheme


async def test_expired_token_returns_401(mock: Mock) -> None:
    token = (await login(mock))["access_token"]
    await mock.advance(301)
    response = await mock.client.get(f"{API}/comprobantes", headers={"Authorization": f"bearer {token}"})
    assert response.status == 401


async def test_token_signed_by_another_key_or_refresh_token_is_refused(mock: Mock) -> None:
    tokens = await login(mock)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "an-hmac-secret-that-is-not-the-mock-rsa-key", algorithm="HS256")
    for token in (forged, tokens["refresh_token"], "garbage"):
        response = await mock.client.get(f"{API}/comprobantes", headers={"Authorization": f"bearer {token}"})
        assert response.status == 401


async def test_each_user_is_its_own_sandbox(mock: Mock) -> None:
    alice = Hacienda(
        mock, (await login(mock, "cpf-01-0956-0664@stag.comprobanteselectronicos.go.cr"))["access_token"]
    )
    bob = Hacienda(
        mock, (await login(mock, "cpj-3-101-741788@stag.comprobanteselectronicos.go.cr"))["access_token"]
    )
    s = sample.Sample()
    await alice.submit(s)
    for path in (f"/recepcion/{s.clave}", f"/comprobantes/{s.clave}"):
        assert (await mock.client.get(API + path, headers=bob.headers)).status == 404
        assert (await mock.client.get(API + path, headers=alice.headers)).status == 200
    assert await (await mock.client.get(f"{API}/comprobantes", headers=bob.headers)).json() == []
    # the same clave is not a duplicate in another sandbox
    assert (await bob.post(bob.body(s))).status == 201


async def test_rate_limit_headers_count_down_and_429_past_the_get_budget(hacienda: Hacienda) -> None:
    first = await hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers)
    assert first.headers["X-Ratelimit-Limit"] == "300"  # all requests a minute; GETs have 100 of them
    remaining = int(first.headers["X-Ratelimit-Remaining"])
    second = await hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers)
    assert int(second.headers["X-Ratelimit-Remaining"]) == remaining - 1
    reset = int(second.headers["X-Ratelimit-Reset"])
    assert reset > hacienda.mock.runtime.clock.now()
    for _ in range(98):  # 100 successful GETs a minute
        await hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers)
    over = await hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers)
    assert over.status == 429
    assert int(over.headers["Retry-After"]) >= 1
    assert over.headers["X-Ratelimit-Remaining"] == "0"
    await hacienda.mock.advance(60)
    again = await hacienda.mock.client.get(f"{API}/comprobantes", headers=hacienda.headers)
    assert again.status == 200


async def test_five_unauthorized_posts_a_minute_then_429(mock: Mock) -> None:
    statuses = [(await mock.client.post(f"{API}/recepcion", json={})).status for _ in range(6)]
    assert statuses == [401] * 5 + [429]


async def test_idp_allows_ten_tokens_a_minute(mock: Mock) -> None:
    for _ in range(10):
        await login(mock)
    response = await mock.client.post(
        "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "api-stag", "username": "u", "password": "p"},
    )
    assert response.status == 429


async def test_rate_limits_can_be_turned_off_and_still_show_a_full_budget(make_mock: Any) -> None:
    mock = await make_mock(rate_limits={"hacienda": None})
    for _ in range(12):
        await login(mock)
    response = await mock.client.get(f"{API}/comprobantes")
    assert response.status != 429
    # nothing counts, yet the headers a client may read are there, showing a full budget
    assert response.headers["X-Ratelimit-Limit"] == response.headers["X-Ratelimit-Remaining"]
