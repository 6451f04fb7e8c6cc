"""Many requests at once: one creation per idempotency key, numbers that never repeat or skip, exact
rate-limit counts. Real HTTP on loopback; the requests really overlap in the server's event loop."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from tests.conftest import Mock, MockFactory
from tests.providers.tuimprenta.conftest import V1, invoice_body

KEY = {"Authorization": "Bearer concurrency_key"}


async def _mock(make_mock: MockFactory, **overrides: Any) -> Mock:
    mock: Mock = await make_mock(providers=("tuimprenta",), **overrides)
    return mock


async def test_100_simultaneous_requests_with_one_idempotency_key_create_one_invoice(
    make_mock: MockFactory,
) -> None:
    mock = await _mock(make_mock, rate_limits={"*": 10.0})
    headers = {**KEY, "Idempotency-Key": "the-same-key"}

    async def create() -> tuple[int, str]:
        response = await mock.client.post(f"{V1}/invoices", json=invoice_body(), headers=headers)
        return response.status, (await response.json())["id"]

    answers = await asyncio.gather(*(create() for _ in range(100)))
    assert Counter(status for status, _ in answers) == {201: 100}
    assert len({ident for _, ident in answers}) == 1
    listed = await (await mock.client.get(f"{V1}/invoices", headers=KEY)).json()
    assert [i["id"] for i in listed["data"]] == [answers[0][1]]


async def test_concurrent_creations_number_each_series_without_gaps_or_repeats(
    make_mock: MockFactory,
) -> None:
    mock = await _mock(make_mock, rate_limits={"*": 10.0})

    async def create(n: int) -> int:
        body = invoice_body(series="C" if n % 2 else "D")
        response = await mock.client.post(
            f"{V1}/invoices", json=body, headers={**KEY, "Idempotency-Key": f"k{n}"}
        )
        assert response.status == 201, await response.text()
        return int((await response.json())["number"])

    numbers = await asyncio.gather(*(create(n) for n in range(80)))
    odd, even = sorted(numbers[1::2]), sorted(numbers[0::2])
    assert odd == list(range(1, 41)) and even == list(range(1, 41))


async def test_the_rate_limit_counts_exactly_under_parallel_load(make_mock: MockFactory) -> None:
    mock = await _mock(make_mock)  # the sandbox's own limit: 60 a minute per key

    async def ping() -> int:
        return (await mock.client.get(f"{V1}/ping", headers=KEY)).status

    statuses = Counter(await asyncio.gather(*(ping() for _ in range(100))))
    assert statuses == {200: 60, 429: 40}
