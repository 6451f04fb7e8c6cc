"""Hostile bodies get the provider's own error envelope, never a traceback or a bare aiohttp page."""

from __future__ import annotations

import asyncio
import base64
import gzip
import io
import json
import tracemalloc
from typing import Any

import pytest
from aiohttp import FormData

from tests.conftest import Mock, MockFactory

# one write per provider that needs no prior call: (path, headers, content type)
TARGETS: dict[str, tuple[str, dict[str, str], str]] = {
    "hacienda": (
        "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token",
        {},
        "application/x-www-form-urlencoded",
    ),
    "avenio": ("/avenio/api/v1/connect/token", {}, "application/x-www-form-urlencoded"),
    "bsale": ("/bsale/v1/documents.json", {"access_token": "hostile"}, "application/json"),
    "tupana": (
        "/tupana/v2/documents/batch/",
        {"Authorization": "Api-Key sandbox_hostile"},
        "application/json",
    ),
    "tuimprenta": ("/tuimprenta/v1/invoices", {"Authorization": "Bearer hostile"}, "application/json"),
}
LIMIT = 64 * 1024


async def _shape(mock: Mock, provider: str, body: bytes) -> tuple[int, Any, str]:
    path, headers, content_type = TARGETS[provider]
    response = await mock.client.post(path, data=body, headers={**headers, "Content-Type": content_type})
    text = await response.text()
    try:
        return response.status, json.loads(text), response.content_type
    except ValueError:
        return response.status, text, response.content_type


def _keys(body: Any) -> Any:
    return sorted(body) if isinstance(body, dict) else type(body).__name__


@pytest.fixture
async def mock(make_mock: MockFactory) -> Mock:
    result: Mock = await make_mock(max_body_bytes=LIMIT, rate_limits={"*": None})
    return result


@pytest.mark.parametrize("provider", list(TARGETS))
async def test_a_body_over_the_limit_is_413_in_the_providers_envelope(
    make_mock: MockFactory, provider: str
) -> None:
    # no provider documents a size limit or a 413: the limit is the mock's, so the strict spec check is off
    mock: Mock = await make_mock(max_body_bytes=LIMIT, rate_limits={"*": None}, strict=False)
    status, body, content_type = await _shape(mock, provider, b"a" * (LIMIT + 1))
    _, reference, _ = await _shape(mock, provider, b"{not json")  # the provider's own 4xx
    assert status == 413, body
    assert content_type == "application/json" and _keys(body) == _keys(reference)


@pytest.mark.parametrize("provider", ["bsale", "tupana", "tuimprenta"])
@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"a": "\xff\xfe"}',  # not UTF-8
        b"[" * 20_000 + b"]" * 20_000,  # deeper than the JSON parser can recurse, and under the size limit
        b'{"a": "x\x00y"}',
        b"[" + b"1," * 20_000 + b"1]",  # a huge array where an object belongs
    ],
    ids=["invalid-json", "invalid-utf8", "deep-nesting", "nul-byte", "huge-array"],
)
async def test_malformed_json_is_a_clear_4xx_in_the_providers_envelope(
    mock: Mock, provider: str, body: bytes
) -> None:
    status, answer, content_type = await _shape(mock, provider, body)
    assert 400 <= status < 500 and content_type == "application/json", (status, answer)
    _, reference, _ = await _shape(mock, provider, b"{not json")
    assert _keys(answer) == _keys(reference)


async def test_billion_laughs_in_a_comprobante_is_refused_fast_and_small(mock: Mock) -> None:
    from mockserver.providers.hacienda import sample
    from tests.providers.hacienda.conftest import Hacienda, login

    hacienda = Hacienda(mock, (await login(mock))["access_token"])
    laughs = ['<!ENTITY l0 "ha">'] + [f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)]
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE f [{"".join(laughs)}]><FacturaElectronica>&l9;</FacturaElectronica>'
    )
    body = hacienda.body(sample.Sample())
    body["comprobanteXml"] = base64.b64encode(bomb.encode()).decode()
    started = asyncio.get_running_loop().time()
    response = await hacienda.post(body)
    assert asyncio.get_running_loop().time() - started < 2  # 10⁹ "ha"s were never expanded
    assert response.status == 400 and "XML" in response.headers["X-Error-Cause"]
    assert "haha" not in response.headers["X-Error-Cause"] and "haha" not in await response.text()


CSV_HEADER = (
    b"series,issue_date,customer_name,customer_tax_id,customer_email,item_description,item_qty,"
    b"item_unit_price,tax_rate,currency,metadata_order_id\n"
)


def _upload(name: str, content: bytes, content_type: str = "text/csv") -> FormData:
    form = FormData()
    form.add_field("type", "invoice.create")
    form.add_field("file", io.BytesIO(content), filename=name, content_type=content_type)
    return form


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("columns.csv", b",".join(b"c%d" % i for i in range(1_000_000)) + b"\n1\n", "text/csv"),
        ("quote-bomb.csv", CSV_HEADER + b'"' + b"x" * 3_000_000 + b"\n", "text/csv"),
        ("rows.csv", b"series\n" + b"A\n" * 4_000_000, "text/csv"),
        ("bomb.zip", gzip.compress(b"series\n" + b"A\n" * 5_000_000), "application/zip"),
        ("not-utf8.csv", b"series\n\xff\xfe\xfa\n", "text/csv"),
    ],
    ids=["a-million-columns", "quote-bomb", "four-million-rows", "compressed-bomb", "not-utf8"],
)
async def test_hostile_batch_uploads_get_a_clear_error_quickly_in_bounded_memory(
    make_mock: MockFactory, name: str, content: bytes, content_type: str
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",), rate_limits={"*": None})
    started = asyncio.get_running_loop().time()
    tracemalloc.start()
    try:
        response = await mock.client.post(
            "/tuimprenta/v1/batches",
            data=_upload(name, content, content_type),
            headers={"Authorization": "Bearer h"},
        )
        answer = await response.json()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert asyncio.get_running_loop().time() - started < 5
    # the email parser once split a 7.8 MB body into lines: 300 MB; a few copies of the body at most now
    assert peak < 6 * len(content) + 16_000_000, f"{peak / 1e6:.0f} MB"
    if response.status == 202:  # taken as a batch: every row must fail with its reason, nothing issued
        await mock.advance(5)
        batch = await (
            await mock.client.get(
                f"/tuimprenta/v1/batches/{answer['id']}", headers={"Authorization": "Bearer h"}
            )
        ).json()
        assert batch["counts"]["processed"] == 0, batch
    else:
        assert 400 <= response.status < 500 and set(answer) == {"error"}, answer
