"""Bsale helpers: a token per instance, document posts, the seed's own example bodies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Mock

V1 = "/bsale/v1"
TOKEN = "f4c1c7b5e2a94f0c9a6d8e7b3c2a1f00"


def seed_example() -> dict[str, Any]:
    """The seed's "Ejemplo JSON / Envío", verbatim."""
    return {
        "documentTypeId": 8,
        "officeId": 1,
        "emissionDate": 1407715200,
        "expirationDate": 1407715200,
        "declareSii": 1,
        "priceListId": 18,
        "client": {
            "code": "12345678-9",
            "city": "Puerto Varas",
            "company": "Imaginex",
            "municipality": "comuna",
            "activity": "giro",
            "address": "direccion",
        },
        "details": [
            {
                "variantId": 1,
                "netUnitValue": 23438,
                "quantity": 1,
                "taxId": "[1,2]",
                "comment": "Producto 1",
                "discount": 0,
            }
        ],
        "payments": [{"paymentTypeId": 1, "amount": 27891, "recordDate": 1407715200}],
        "references": [
            {"number": 123, "referenceDate": 1407715200, "reason": "Orden de Compra 123", "codeSii": 801}
        ],
        "dynamicAttributes": [
            {"description": "098 codigo servicio", "dynamicAttributeId": 17},
            {"description": "Observacion nomal, sin anotaciones", "dynamicAttributeId": 18},
        ],
    }


def boleta(net: float, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "codeSii": 39,
        "details": [{"comment": "Item", "netUnitValue": net, "quantity": 1, "taxId": "[1]"}],
    }
    body.update(overrides)
    return body


class Bsale:
    def __init__(self, mock: Mock, token: str = TOKEN) -> None:
        self.mock = mock
        self.headers = {"access_token": token}

    async def get(self, path: str, **params: Any) -> Any:
        return await self.mock.client.get(f"{V1}/{path}", headers=self.headers, params=params)

    async def get_json(self, path: str, **params: Any) -> Any:
        response = await self.get(path, **params)
        assert response.status == 200, await response.text()
        return await response.json()

    async def post(self, body: Any) -> Any:
        return await self.mock.client.post(f"{V1}/documents.json", json=body, headers=self.headers)

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.post(body)
        assert response.status == 201, await response.text()
        data: dict[str, Any] = await response.json()
        return data

    async def post_to(self, path: str, body: Any) -> Any:
        return await self.mock.client.post(f"{V1}/{path}", json=body, headers=self.headers)

    async def made(self, path: str, body: Any) -> dict[str, Any]:
        """POST to any resource that answers 201 with what it made."""
        response = await self.post_to(path, body)
        assert response.status == 201, await response.text()
        data: dict[str, Any] = await response.json()
        return data

    async def factura(self, *lines: tuple[int, float], dispatch: int = 0) -> dict[str, Any]:
        """A factura to client 24 with these (variant, quantity) lines, expanded with its details."""
        made = await self.create(
            {
                "codeSii": 33,
                "clientId": 24,
                "dispatch": dispatch,
                "details": [{"variantId": v, "quantity": q, "taxId": "[1]"} for v, q in lines],
            }
        )
        expanded: dict[str, Any] = await self.get_json(f"documents/{made['id']}.json", expand="[details]")
        return expanded


async def notifications(bsale: Bsale, aiohttp_server: Any, secret: str | None = None) -> list[Any]:
    """A receiver for the instance's notifications: what it gets, as (raw body, headers), in order."""
    from aiohttp import web

    seen: list[tuple[bytes, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append((await request.read(), request.headers.copy()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/bsale", hook)
    server = await aiohttp_server(app)
    given = {"tenant": TOKEN, "url": str(server.make_url("/bsale"))} | ({"secret": secret} if secret else {})
    response = await bsale.mock.client.post("/__admin/actions/bsale/configure-webhook", json=given)
    assert (await response.json())["signed"] is bool(secret)
    return seen


CLIENT = {
    "code": "76.123.456-0",
    "company": "Cliente Devoluciones SpA",
    "activity": "Comercio",
    "address": "Av. Siempre Viva 742",
    "city": "Santiago",
    "municipality": "Providencia",
}


@pytest.fixture
async def mock(make_mock: Any) -> Mock:
    result: Mock = await make_mock(providers=("bsale",), rate_limits={"bsale": 100.0})
    return result


@pytest.fixture
async def bsale(mock: Mock) -> Bsale:
    return Bsale(mock)
