"""Hostile bodies get the provider's own error envelope, never a traceback or a bare aiohttp page."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

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
