"""Tu Pana helpers: an API key, an enrolled company with an active credential, batch documents."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import Mock

V2 = "/tupana/v2"
KEY = "sandbox_test_key"
ISSUER = "76543210-3"
RECEIVER = "76369187-K"


def factura(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "dte_type": {"code": "33"},
        "document_issuer": {"rut": ISSUER},
        "document_receiver": {"rut": RECEIVER},
        "details": [{"item_name": "Desarrollo de software", "quantity": 2, "unit_price": 10000}],
    }
    doc.update(overrides)
    return doc


class Tupana:
    def __init__(self, mock: Mock, key: str = KEY) -> None:
        self.mock = mock
        self.headers = {"Authorization": f"Api-Key {key}"}

    async def call(self, method: str, path: str, base: str = V2, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.mock.client.request(method, f"{base}{path}", headers=headers, **kwargs)

    async def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        assert response.status == status, await response.text()
        return await response.json() if response.status != 204 else None

    async def enrol(self, rut: str = ISSUER, password: str = "clave-sii") -> dict[str, Any]:
        return await self.ok("POST", "/credentials/", 201, json={"rut": rut, "password": password})  # type: ignore[no-any-return]

    async def batch(
        self, documents: list[dict[str, Any]], *, defaults: bool = True, key: str | None = None, **body: Any
    ) -> Any:
        headers = {
            "Idempotency-Key": key or str(uuid.uuid4()),
            "X-Use-Defaults": "true" if defaults else "false",
        }
        return await self.call(
            "POST", "/documents/batch/", json={"documents": documents, **body}, headers=headers
        )


@pytest.fixture
async def mock(make_mock: Any) -> Mock:
    result: Mock = await make_mock(providers=("tupana",))
    return result


@pytest.fixture
async def tupana(mock: Mock) -> Tupana:
    return Tupana(mock)
