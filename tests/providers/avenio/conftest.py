"""Avenio helpers: tokens for fixture clients, emission bodies, polling the clock to a final state."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest

from tests.conftest import Mock

TOKEN = "/avenio/api/v1/connect/token"
API = "/avenio/api/v1/bhe"
CLIENT = ("sandbox-public", "sandbox-public-secret")
FIXTURE_CLIENTS = [CLIENT, ("bhe-reader", "bhe-reader-secret"), ("bhe-emitter", "bhe-emitter-secret")]


def emision(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "rutUsuario": "11111111-1",
        "passwordSII": "clave-sii-prueba",
        "esClaveUnica": False,
        "retencion": "receptor",
        "fechaEmision": "2026-11-20",
        "emisor": {"direccion": "Av. Demo 123"},
        "receptor": {
            "rut": "22222222-2",
            "nombre": "Cliente Demo",
            "direccion": "Calle 123",
            "region": 13,
            "comuna": 13114,
        },
        "prestaciones": [{"detalle": "Servicio tributario", "valor": 500000}],
    }
    body.update(overrides)
    return body


class Avenio:
    def __init__(self, mock: Mock, token: str) -> None:
        self.mock = mock
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}

    async def post(self, path: str, body: dict[str, Any], key: str | None = None, **headers: str) -> Any:
        all_headers = {**self.headers, "Idempotency-Key": key or str(uuid.uuid4()), **headers}
        return await self.mock.client.post(f"{API}/{path}", json=body, headers=all_headers)

    async def refresh(self) -> None:
        """A new token for the same client (after the clock jumped past expiresIn)."""
        claims = jwt.decode(self.token, options={"verify_signature": False})
        secret = {c[0]: c[1] for c in FIXTURE_CLIENTS}[claims["sub"]]
        self.token = await token(self.mock, (claims["sub"], secret), scope=claims["scope"])
        self.headers = {"Authorization": f"Bearer {self.token}"}

    async def operation(self, operation_id: str) -> dict[str, Any]:
        response = await self.mock.client.get(f"{API}/operaciones/{operation_id}", headers=self.headers)
        assert response.status == 200, await response.text()
        data: dict[str, Any] = (await response.json())["data"]
        return data

    async def run(self, path: str, body: dict[str, Any], seconds: float = 5) -> dict[str, Any]:
        """Submit, advance the clock past processing, answer the final operation."""
        response = await self.post(path, body)
        assert response.status == 202, await response.text()
        operation_id = (await response.json())["data"]["operationId"]
        await self.mock.advance(seconds)
        return await self.operation(operation_id)

    async def emit(self, **overrides: Any) -> dict[str, Any]:
        op = await self.run("emitir", emision(**overrides))
        assert op["status"] == "completed", op
        return op


async def token(mock: Mock, client: tuple[str, str] = CLIENT, scope: str | None = None) -> str:
    form = {"grant_type": "client_credentials", "client_id": client[0], "client_secret": client[1]}
    if scope is not None:
        form["scope"] = scope
    response = await mock.client.post(TOKEN, data=form)
    assert response.status == 200, await response.text()
    access: str = (await response.json())["data"]["accessToken"]
    return access


@pytest.fixture
async def mock(make_mock: Any) -> Mock:
    result: Mock = await make_mock(providers=("avenio",))
    return result


@pytest.fixture
async def avenio(mock: Mock) -> Avenio:
    return Avenio(mock, await token(mock))
