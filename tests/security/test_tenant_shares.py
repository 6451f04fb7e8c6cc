"""One tenant, however many sandboxes it opens, cannot take what tenants share: the journal, the
stream's readers, the test clocks and the inboxes are shared out (`core/services/shares.py`), and a
quiet sandbox keeps its full service beside a flood. Over real HTTP, on a shared mock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mockserver.core.services import inboxes, stream, testclocks
from mockserver.core.services.masking import credential_label
from mockserver.core.services.shares import Shares
from tests.conftest import Mock
from tests.providers.tuimprenta.conftest import invoice_body

V1 = "/tuimprenta/v1"
ADMIN = {"X-Mock-Admin-Token": "s3cret"}


def own(key: str) -> dict[str, str]:
    """A sandbox's credential for the control plane."""
    return {"X-Mock-Provider": "tuimprenta", "Authorization": f"Bearer {key}"}


@pytest.fixture
async def shared(make_mock: Any) -> Mock:
    mock: Mock = await make_mock(providers=("tuimprenta",), admin_token="s3cret", journal_size=60)
    return mock


def test_shares_give_from_the_largest_holder_to_one_with_fewer() -> None:
    shares: Shares[str] = Shares()
    for holder, n in (("a", 3), ("b", 1)):
        for _ in range(n):
            shares.add(holder)
    assert shares.largest() == "a" and shares.total == 4
    assert shares.giver("c") == "a"  # a would still hold 2, more than c's 1
    assert shares.giver("b") == "a"
    shares.remove("a")
    shares.remove("a")
    assert shares.giver("b") is None and shares.giver("c") is None  # everyone has one: fair already
    shares.add("b", 5)
    assert shares.largest() == "b" and shares.of("b") == 6
    shares.remove("b", 6)
    assert shares.largest() == "a" and shares.counts == {"a": 1}


async def test_a_flooding_sandbox_pushes_out_its_own_journal_not_a_quiet_ones(shared: Mock) -> None:
    quiet = {"Authorization": "Bearer quiet-job"}
    for _ in range(3):
        assert (await shared.client.get(f"{V1}/invoices", headers=quiet)).status == 200
    for n in range(200):  # three times the journal, from many sandboxes of one tenant
        await shared.client.get(f"{V1}/invoices", headers={"Authorization": f"Bearer flood-{n % 4}"})
    seen = await (await shared.client.get("/__admin/requests", headers=own("quiet-job"))).json()
    assert seen["count"] == 3
    verified = await shared.client.post(
        "/__admin/verify",
        json={"provider": "tuimprenta", "method": "GET", "path": f"{V1}/invoices", "times": 3},
        headers=own("quiet-job"),
    )
    assert verified.status == 200, await verified.text()
    everything = await (await shared.client.get("/__admin/requests?limit=1000", headers=ADMIN)).json()
    assert everything["count"] == 60  # the journal's size holds however many sandboxes write


async def test_the_streams_readers_are_shared_out_when_all_are_taken(
    shared: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "MAX_READERS", 6)
    monkeypatch.setattr(stream, "MAX_READERS_PER_SANDBOX", 3)
    hog = [await shared.client.get("/__admin/stream", headers=own(f"hog-{n % 2}")) for n in range(6)]
    assert [r.status for r in hog] == [200] * 6
    newcomer = await shared.client.get("/__admin/stream", headers=own("newcomer"))
    assert newcomer.status == 200  # a hog's newest reader made room
    ended = hog[4]  # hog-0's newest: hog-0 reached 3 readers first
    assert b"live" in await asyncio.wait_for(ended.content.read(), 5)  # its stream ended: read to EOF
    second = await shared.client.get("/__admin/stream", headers=own("newcomer"))
    assert second.status == 200
    third = await shared.client.get("/__admin/stream", headers=own("newcomer"))
    assert third.status == 429  # 3 against the hogs' 2 and 1: its share, named in the refusal
    assert "shared out" in (await third.json())["error"]
    admin = await shared.client.get("/__admin/stream", headers=ADMIN)
    assert admin.status == 200  # the admin's readers are never turned away
    for response in [*hog, newcomer, second, admin]:
        response.close()


async def test_test_clocks_are_shared_out_when_all_are_made(
    shared: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(testclocks, "MAX_CLOCKS", 6)

    async def make(key: str) -> Any:
        body = {"name": key, "sandboxes": [{"provider": "tuimprenta", "tenant": key}]}
        return await shared.client.post("/__admin/clocks", json=body, headers=own(key))

    made = [await make(f"hog-{n % 2}") for n in range(6)]
    assert [r.status for r in made] == [201] * 6
    quiet = await make("quiet")
    assert quiet.status == 201, await quiet.text()
    listed = await (await shared.client.get("/__admin/clocks", headers=ADMIN)).json()
    assert len(listed["clocks"]) == 6
    mine = await (await shared.client.get("/__admin/clocks", headers=own("quiet"))).json()
    assert [c["name"] for c in mine["clocks"]] == ["quiet"]
    # the quiet sandbox's requests read its clock, as before the hog filled every slot
    assert (
        await shared.client.get(f"{V1}/invoices", headers={"Authorization": "Bearer quiet"})
    ).status == 200


async def test_a_flood_to_the_inbox_keeps_a_sandboxs_deliveries(shared: Mock) -> None:
    base = str(shared.client.make_url("")).rstrip("/")
    body = {"type": "invoice.create", "payload": [invoice_body()], "callback_url": f"{base}/__admin/inbox/ci"}
    batch = await shared.client.post(f"{V1}/batches", json=body, headers={"Authorization": "Bearer job-a"})
    assert batch.status == 202
    await shared.client.post("/__admin/clock", json={"advance": 30}, headers=ADMIN)
    await shared.settle_webhooks()
    mine = await (await shared.client.get("/__admin/inbox/ci", headers=own("job-a"))).json()
    delivered = mine["count"]
    assert delivered >= 1
    big = b"x" * 60_000
    for _ in range(inboxes.PER_INBOX + 50):  # anyone may post: to the same inbox, then to many
        await shared.client.post("/__admin/inbox/ci", data=b"{}")
    for n in range(700):
        await shared.client.post(f"/__admin/inbox/spam-{n}", data=big)
    after = await (await shared.client.get("/__admin/inbox/ci", headers=own("job-a"))).json()
    assert after["count"] == delivered
    assert all(m["sandbox"] == ["tuimprenta", credential_label("job-a")] for m in after["messages"])
    held = sum(len(m["raw"]) for _, box in shared.runtime.inboxes.items() for m in box)
    assert held * 2 <= inboxes.SPACE * inboxes.UNIT
