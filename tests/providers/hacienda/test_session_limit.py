"""A user's sessions are bounded: past the limit a login ends that user's oldest session, as Keycloak's
user session limit does with "terminate oldest session"; other users keep theirs."""

from __future__ import annotations

from typing import Any

from mockserver.providers.hacienda.idp import SESSIONS_PER_USER
from tests.conftest import Mock
from tests.providers.hacienda.conftest import login

TOKEN = "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token"


async def _refresh(mock: Mock, refresh_token: str) -> int:
    form = {"grant_type": "refresh_token", "client_id": "api-stag", "refresh_token": refresh_token}
    return (await mock.client.post(TOKEN, data=form)).status


async def test_a_login_past_the_limit_ends_the_users_oldest_session_only(make_mock: Any) -> None:
    mock: Mock = await make_mock(providers=("hacienda",), rate_limits={"*": None})
    other = await login(mock, username="cpj-3-101-000000@stag.comprobanteselectronicos.go.cr")
    first = await login(mock)
    second = await login(mock)
    for _ in range(SESSIONS_PER_USER - 1):
        await login(mock)
    assert await _refresh(mock, first["refresh_token"]) == 400  # the oldest is gone
    assert await _refresh(mock, second["refresh_token"]) == 200  # the rest are kept
    assert await _refresh(mock, other["refresh_token"]) == 200  # another user's untouched
    idp = mock.runtime.providers["hacienda"].state.idp
    assert len(idp.sessions) == SESSIONS_PER_USER + 1


async def test_revoked_tokens_are_let_go_once_they_expire_and_stay_refused(make_mock: Any) -> None:
    from mockserver.providers.hacienda.idp import REVOKED_KEPT

    mock: Mock = await make_mock(providers=("hacienda",), rate_limits={"*": None})
    base = "/hacienda/auth/realms/rut-stag/protocol/openid-connect"

    async def active(token: str) -> bool:
        form = {"client_id": "api-stag", "token": token}
        return bool((await (await mock.client.post(f"{base}/token/introspect", data=form)).json())["active"])

    revoked = []
    for _ in range(REVOKED_KEPT + 5):  # more than the set keeps, each revoked while it is active
        token = (await login(mock))["access_token"]
        answer = await mock.client.post(f"{base}/revoke", data={"client_id": "api-stag", "token": token})
        assert answer.status == 200
        revoked.append(token)
    idp = mock.runtime.providers["hacienda"].state.idp
    assert len(idp.revoked) <= REVOKED_KEPT + 5
    await mock.advance(3600)  # every one of them has expired
    fresh = (await login(mock))["access_token"]
    await mock.client.post(f"{base}/revoke", data={"client_id": "api-stag", "token": fresh})
    assert len(idp.revoked) < 10  # the expired ones were let go...
    assert not await active(fresh) and not await active(revoked[-1])  # ...and none is active again
