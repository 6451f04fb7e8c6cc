"""tuimprenta helpers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Mock

V1 = "/tuimprenta/v1"
KEY = "ti_test_key"


def invoice_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "series": "TD-2025",
        "issue_date": "2025-11-07",
        "customer": {"name": "Inversiones ABC, C.A.", "tax_id": "J-12345678-4", "email": "admin@abc.com"},
        "items": [
            {
                "sku": "CAT-TARJETAS-300G",
                "description": "Tarjetas 9x5 (100u)",
                "qty": 1,
                "unit_price": 12.0,
                "tax_rate": 0.16,
            }
        ],
        "currency": "USD",
        "send_email": True,
        "metadata": {"order_id": "TD-00123"},
    }
    body.update(overrides)
    return body


class Tuimprenta:
    def __init__(self, mock: Mock, key: str = KEY) -> None:
        self.mock = mock
        self.headers = {"Authorization": f"Bearer {key}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.mock.client.request(method, f"{V1}{path}", headers=headers, **kwargs)

    async def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        assert response.status == status, await response.text()
        return await response.json()

    async def invoice(self, **overrides: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.ok("POST", "/invoices", 201, json=invoice_body(**overrides))
        return result


@pytest.fixture
async def mock(make_mock: Any) -> Mock:
    result: Mock = await make_mock(providers=("tuimprenta",))
    return result


@pytest.fixture
async def ti(mock: Mock) -> Tuimprenta:
    return Tuimprenta(mock)
