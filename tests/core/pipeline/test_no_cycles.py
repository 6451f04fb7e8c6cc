"""A request leaves nothing for the cycle collector: everything it made is freed as its answer goes
out, so memory stays flat between collections and no collection pauses a busy mock for tens of ms."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable

from tests.conftest import Mock, MockFactory

FACTURA = {
    "documentTypeId": 8,
    "clientId": 24,
    "details": [{"variantId": 1, "netUnitValue": 23438, "quantity": 1, "taxId": "[1]"}],
}


async def _cycles_per_request(send: Callable[[], Awaitable[None]], count: int = 200) -> float:
    for _ in range(20):  # caches, pools and lazily made objects are made now, not counted
        await send()
    gc.collect()
    gc.disable()
    try:
        for _ in range(count):
            await send()
        return gc.collect() / count
    finally:
        gc.enable()


async def test_a_read_and_a_write_leave_no_reference_cycles(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(rate_limits={"*": None})
    made = await mock.client.post("/bsale/v1/documents.json", json=FACTURA, headers={"access_token": "k"})
    document = (await made.json())["id"]
    serial = 0

    async def read() -> None:
        answer = await mock.client.get(f"/bsale/v1/documents/{document}.json", headers={"access_token": "k"})
        assert answer.status == 200
        await answer.read()

    async def write() -> None:
        nonlocal serial
        serial += 1
        answer = await mock.client.post(
            "/tuimprenta/v1/invoices",
            headers={"Authorization": "Bearer k", "Idempotency-Key": f"key-{serial}"},
            json={
                "series": "B",
                "customer": {"name": "Bench C.A.", "tax_id": "J-12345678-4"},
                "items": [{"description": "Tarjetas", "qty": 1, "unit_price": 12, "tax_rate": 0.16}],
            },
        )
        assert answer.status == 201, await answer.text()
        await answer.read()

    # the test client and its server share this process: whatever either leaves is counted
    assert await _cycles_per_request(read) < 1
    assert await _cycles_per_request(write) < 1
