"""Hacienda helpers: log in against the mock IdP, submit signed samples, read states."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from mockserver.providers.hacienda import sample
from tests.conftest import Mock

TOKEN = "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token"
API = "/hacienda/recepcion-sandbox/v1"
USER = "cpj-3-101-123456@stag.comprobanteselectronicos.go.cr"


async def login(mock: Mock, username: str = USER, realm: str = "rut-stag") -> dict[str, Any]:
    client_id = {"rut-stag": "api-stag", "rut": "api-prod"}[realm]
    response = await mock.client.post(
        f"/hacienda/auth/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": client_id,
            "username": username,
            "password": "secreto",
            "client_secret": "",
            "scope": "",
        },
    )
    assert response.status == 200, await response.text()
    tokens: dict[str, Any] = await response.json()
    return tokens


class Hacienda:
    def __init__(self, mock: Mock, token: str) -> None:
        self.mock = mock
        self.headers = {"Authorization": f"bearer {token}"}

    def body(self, s: sample.Sample, **kw: Any) -> dict[str, Any]:
        return sample.body(s, self.mock.runtime.keys, **kw)

    async def post(self, payload: dict[str, Any], base: str = API) -> Any:
        return await self.mock.client.post(f"{base}/recepcion", json=payload, headers=self.headers)

    async def submit(self, s: sample.Sample, **kw: Any) -> str:
        response = await self.post(self.body(s, **kw))
        assert response.status == 201, response.headers.get("X-Error-Cause")
        return s.clave

    async def status(self, key: str) -> dict[str, Any]:
        response = await self.mock.client.get(f"{API}/recepcion/{key}", headers=self.headers)
        assert response.status == 200, response.headers.get("X-Error-Cause")
        data: dict[str, Any] = await response.json()
        return data

    async def respuesta(self, key: str) -> bytes:
        return base64.b64decode((await self.status(key))["respuesta-xml"])


@pytest.fixture
async def hacienda(mock: Mock) -> Hacienda:
    tokens = await login(mock)
    return Hacienda(mock, tokens["access_token"])
