"""Signed webhooks on every terminal state, verified by an independent few-line verifier."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from aiohttp import web

from tests.providers.avenio.conftest import Avenio, emision


def verify(secret: str, header: str, body: bytes, tolerance: int | None = None) -> bool:
    """What a receiver writes (as the README shows): parse t and v1, recompute, compare in constant time."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = tolerance is None or abs(time.time() - int(parts["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected, parts["v1"])


async def _receiver(aiohttp_server: Any, fail_first: int = 0) -> tuple[str, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append({"body": await request.read(), "headers": request.headers.copy()})  # case-insensitive
        return web.Response(status=500 if len(seen) <= fail_first else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = await aiohttp_server(app)
    return str(server.make_url("/hook")), seen


async def test_completed_emission_is_posted_signed_with_the_client_secret(
    avenio: Avenio, aiohttp_server: Any
) -> None:
    url, seen = await _receiver(aiohttp_server)
    response = await avenio.post("emitir", emision(callbackUrl=url), **{"X-Correlation-Id": "corr-42"})
    operation_id = (await response.json())["data"]["operationId"]
    await avenio.mock.advance(5)
    await avenio.mock.settle_webhooks()
    assert len(seen) == 1
    delivery = seen[0]
    assert verify("sandbox-public-secret", delivery["headers"]["X-Avenio-Signature"], delivery["body"])
    assert not verify("another-secret", delivery["headers"]["X-Avenio-Signature"], delivery["body"])
    assert not verify(
        "sandbox-public-secret", delivery["headers"]["X-Avenio-Signature"], delivery["body"] + b" "
    )
    payload = json.loads(delivery["body"])
    assert payload["type"] == "bhe.emision.completed"
    assert payload["data"]["operationId"] == operation_id
    assert payload["data"]["result"]["folio"] == 1
    assert payload["correlationId"] == "corr-42"
    assert delivery["headers"]["X-Correlation-Id"] == "corr-42"
    assert delivery["headers"]["X-Avenio-Event"] == "bhe.emision.completed"


async def test_failed_operations_and_annulments_are_posted_too(avenio: Avenio, aiohttp_server: Any) -> None:
    url, seen = await _receiver(aiohttp_server)
    await avenio.run("emitir", emision(passwordSII="wrong-password", callbackUrl=url))
    await avenio.emit()
    await avenio.run(
        "anular", {"rutUsuario": "11111111-1", "passwordSII": "x", "folio": 1, "causa": 3, "callbackUrl": url}
    )
    await avenio.mock.settle_webhooks()
    assert [json.loads(s["body"])["type"] for s in seen] == ["bhe.emision.failed", "bhe.anulacion.completed"]


async def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(
    avenio: Avenio, aiohttp_server: Any
) -> None:
    url, seen = await _receiver(aiohttp_server, fail_first=2)
    await avenio.run("emitir", emision(callbackUrl=url))
    await avenio.mock.settle_webhooks()
    assert len(seen) == 1
    await avenio.mock.advance(5)  # first retry 5 s later
    await avenio.mock.settle_webhooks()
    await avenio.mock.advance(10)  # then 10 s
    await avenio.mock.settle_webhooks()
    assert len(seen) == 3
    assert len({s["body"] for s in seen}) == 1  # the same event, re-signed on each attempt
    assert all(verify("sandbox-public-secret", s["headers"]["X-Avenio-Signature"], s["body"]) for s in seen)
    log = await (await avenio.mock.client.get("/__admin/webhooks?provider=avenio")).json()
    delivery = log["deliveries"][0]
    assert delivery["state"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 200]
