"""`GET /__admin/stream`: everything the mock does as server-sent events, filtered by provider, sandbox
and kind, resumable with Last-Event-ID while the ring holds the events, and a sandbox's credential
sees only its own sandbox's."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import ClientResponse

from mockserver.core.services import stream as stream_service
from tests.conftest import Mock, MockFactory, receiver
from tests.providers.tuimprenta.conftest import KEY, Tuimprenta, invoice_body

OTHER = "ti_test_another_ci_job_000000000001"


async def _events(response: ClientResponse, count: int, timeout: float = 5) -> list[dict[str, Any]]:
    """The next `count` events of an open stream (comments skipped), each with its SSE fields."""
    got: list[dict[str, Any]] = []
    fields: dict[str, str] = {}

    async def read() -> None:
        while len(got) < count:
            line = (await response.content.readline()).decode()
            if not line:
                raise AssertionError(f"the stream ended after {len(got)} events")
            line = line.rstrip("\n")
            if line == "" and fields:
                got.append(
                    {**json.loads(fields["data"]), "sse_id": fields["id"], "sse_event": fields["event"]}
                )
                fields.clear()
            elif line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value

    await asyncio.wait_for(read(), timeout)
    return got


async def _open(mock: Mock, query: str = "", **headers: str) -> ClientResponse:
    response = await mock.client.get(f"/__admin/stream{query}", headers=headers)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert (await response.content.readline()) == b": live\n"
    return response


async def test_the_stream_carries_requests_states_webhooks_and_clock_moves(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    url, got = await receiver(aiohttp_server)
    stream = await _open(mock, "?provider=tuimprenta")
    ti = Tuimprenta(mock)
    body = {
        "type": "invoice.create",
        "payload": [invoice_body()],
        "callback_url": url,
    }
    batch = await ti.ok("POST", "/batches", 202, json=body)
    first = (await _events(stream, 1))[0]
    assert (first["kind"], first["data"]["operation"], first["data"]["status"]) == (
        "request",
        "createBatch",
        202,
    )
    assert (
        first["tenant"].startswith("key-")
        and first["data"]["request_headers"]["Authorization"] == "Bearer ***"
    )
    await mock.advance(60)
    await mock.settle_webhooks()
    events = await _events(stream, 3)
    states = [(e["data"]["key"], e["data"]["state"]) for e in events if e["kind"] == "state"]
    assert states == [(batch["id"], "processing"), (batch["id"], "done")]  # the lifecycle's steps
    attempt = next(e for e in events if e["kind"] == "webhook")["data"]
    assert attempt["body"].encode() == got[0][0]  # the exact bytes, and the signature sent with them
    assert attempt["headers"]["X-Tuimprenta-Signature"].startswith("sha256=")
    assert (attempt["event"], attempt["status"], attempt["attempt"]) == ("batch.completed", 200, 1)
    everything = await _open(mock)  # the mock's clock moves are for readers of the whole mock
    await mock.advance(1)
    moved = (await _events(everything, 1))[0]
    assert (moved["kind"], moved["data"]["clock"]) == ("clock", "mock")


async def test_filters_name_a_sandbox_and_the_kinds_it_wants(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    mine = await _open(mock, f"?provider=tuimprenta&tenant={KEY}&kinds=request")
    await Tuimprenta(mock, OTHER).invoice()
    await Tuimprenta(mock).invoice()
    events = await _events(mine, 1)
    assert events[0]["data"]["operation"] == "createInvoice"
    assert events[0]["tenant"] == mock.runtime.providers["tuimprenta"].tenant_name(KEY)
    for query in ("?kinds=requests", "?provider=nope", "?tenant=x", "?sandbox=x"):
        assert (await mock.client.get(f"/__admin/stream{query}")).status == 400, query


async def test_a_reader_that_reconnects_gets_what_it_missed(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    ti = Tuimprenta(mock)
    stream = await _open(mock, "?kinds=request")
    await ti.invoice()
    last = (await _events(stream, 1))[0]["sse_id"]
    stream.close()
    for _ in range(3):  # made while nobody listens
        await ti.invoice()
    resumed = await mock.client.get("/__admin/stream?kinds=request", headers={"Last-Event-ID": last})
    missed = await _events(resumed, 3)
    assert [e["data"]["operation"] for e in missed] == ["createInvoice"] * 3
    assert len({e["sse_id"] for e in missed} | {last}) == 4  # none twice
    fresh = await _open(mock, "?kinds=request")  # without an id: from now on
    await ti.ok("GET", "/invoices")
    assert (await _events(fresh, 1))[0]["data"]["operation"] == "listInvoices"


async def test_a_sandboxs_credential_streams_its_own_sandbox_only(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    own = {"Authorization": f"Bearer {KEY}", "X-Mock-Provider": "tuimprenta"}
    stream = await _open(mock, "?kinds=request", **own)
    await Tuimprenta(mock, OTHER).invoice()
    await Tuimprenta(mock).invoice()
    events = await _events(stream, 1)
    assert events[0]["tenant"] == mock.runtime.providers["tuimprenta"].tenant_name(KEY)
    theirs = await mock.client.get(f"/__admin/stream?provider=tuimprenta&tenant={OTHER}", headers=own)
    assert theirs.status == 403
    assert (await mock.client.get("/__admin/stream", headers={"X-Mock-Provider": "tuimprenta"})).status == 401


async def test_nobody_subscribed_costs_a_request_one_ring_entry(mock: Mock) -> None:
    before = mock.runtime.stream.subscribed
    await Tuimprenta(mock).invoice()
    assert before == 0 and mock.runtime.stream.subscribed == 0
    ring = list(mock.runtime.stream.after("another-boot.0"))
    assert [e.kind for e in ring][-1] == "request"
    assert callable(ring[-1].payload)  # its view is made only when a reader asks for it


async def test_readers_of_one_sandbox_are_bounded_and_the_admin_is_never_turned_away(
    mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_service, "MAX_READERS_PER_SANDBOX", 2)
    own = {"Authorization": f"Bearer {KEY}", "X-Mock-Provider": "tuimprenta"}
    first, second = await _open(mock, **own), await _open(mock, **own)
    third = await mock.client.get("/__admin/stream", headers=own)
    assert third.status == 429
    assert "this sandbox has 2 readers already" in (await third.json())["error"]
    assert (await _open(mock, "?kinds=request")).status == 200  # the admin's
    first.close()
    await asyncio.sleep(0.1)  # its handler ends when the connection does
    assert (await mock.client.get("/__admin/stream", headers=own)).status == 200
    second.close()
