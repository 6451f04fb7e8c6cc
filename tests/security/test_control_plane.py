"""Safe to share, item 8: the control plane asks for the admin token, and a sandbox's own credential
reaches that sandbox only, there and in the write log a restart replays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockserver.core import persistence
from mockserver.core.services.masking import credential_label
from tests.conftest import Mock
from tests.providers.hacienda.conftest import login
from tests.providers.tuimprenta.conftest import invoice_body

V1 = "/tuimprenta/v1"
ADMIN = {"X-Mock-Admin-Token": "s3cret"}


def sandbox(key: str) -> dict[str, str]:
    return {"X-Mock-Provider": "tuimprenta", "Authorization": f"Bearer {key}"}


async def create(mock: Mock, key: str) -> str:
    made = await mock.client.post(
        f"{V1}/invoices", json=invoice_body(), headers={"Authorization": f"Bearer {key}"}
    )
    assert made.status == 201
    invoice_id: str = (await made.json())["id"]
    return invoice_id


async def listed(mock: Mock, key: str) -> list[Any]:
    page = await mock.client.get(f"{V1}/invoices", headers={"Authorization": f"Bearer {key}"})
    data: list[Any] = (await page.json())["data"]
    return data


@pytest.fixture
async def guarded(make_mock: Any, tmp_path: Path) -> Mock:
    result: Mock = await make_mock(
        providers=("tuimprenta", "hacienda"), admin_token="s3cret", state_file=tmp_path / "state.sqlite"
    )
    return result


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/__admin/state"),
        ("POST", "/__admin/reset"),
        ("GET", "/__admin/requests"),
        ("POST", "/__admin/clock"),
    ],
)
async def test_with_an_admin_token_the_control_plane_refuses_a_call_without_it(
    guarded: Mock, method: str, path: str
) -> None:
    await create(guarded, "victim")
    for headers in ({}, {"X-Mock-Admin-Token": "guess"}, {"Authorization": "Bearer guess"}):
        refused = await guarded.client.request(method, path, headers=headers, json={})
        assert refused.status == 401 and "admin token" in (await refused.json())["error"]
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert len(await listed(guarded, "victim")) == 1  # the refused reset wiped nothing
    for headers in (ADMIN, {"Authorization": "Bearer s3cret"}):
        allowed = await guarded.client.request(method, path, headers=headers, json={})
        assert allowed.status == 200


async def test_health_and_the_demo_receiver_stay_open_with_an_admin_token(guarded: Mock) -> None:
    assert (await guarded.client.get("/__admin/health")).status == 200
    assert (await guarded.client.post("/__admin/inbox/demo", json={"a": 1})).status == 200
    assert (await guarded.client.get("/__admin/inbox/demo")).status == 401
    assert (await guarded.client.get("/__admin/inbox/demo", headers=ADMIN)).status == 200


async def test_a_sandbox_credential_sees_and_resets_its_own_sandbox_only(guarded: Mock) -> None:
    await create(guarded, "job-a")
    await create(guarded, "job-b")
    journal = await (await guarded.client.get("/__admin/requests", headers=sandbox("job-a"))).json()
    assert journal["count"] == 1 and {e["tenant"] for e in journal["requests"]} == {credential_label("job-a")}
    other = await guarded.client.get(
        "/__admin/requests", params={"tenant": credential_label("job-b")}, headers=sandbox("job-a")
    )
    assert other.status == 403
    exported = await (await guarded.client.get("/__admin/state", headers=sandbox("job-a"))).json()
    assert len(exported["writes"]) == 1
    assert (await guarded.client.post("/__admin/reset", json={}, headers=sandbox("job-a"))).status == 200
    assert await listed(guarded, "job-a") == [] and len(await listed(guarded, "job-b")) == 1
    wider = await guarded.client.post(
        "/__admin/reset", json={"provider": "hacienda"}, headers=sandbox("job-a")
    )
    assert wider.status == 403


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/__admin/clock", {"advance": 60}),
        ("PUT", "/__admin/state", {"format": "mockserver-state/1", "writes": []}),
    ],
)
async def test_a_sandbox_credential_cannot_call_what_acts_on_the_whole_mock(
    guarded: Mock, method: str, path: str, body: Any
) -> None:
    await create(guarded, "job-b")
    before = guarded.runtime.clock.now()
    refused = await guarded.client.request(method, path, json=body, headers=sandbox("job-a"))
    assert refused.status == 403 and "admin token" in (await refused.json())["error"]
    assert guarded.runtime.clock.now() == before and not guarded.runtime.webhooks.paused
    assert len(await listed(guarded, "job-b")) == 1


async def test_a_sandbox_credential_sets_its_own_sandbox_controls_and_no_other(guarded: Mock) -> None:
    """Lifecycle modes, webhook pauses and control resets named by a sandbox's credential are that
    sandbox's own: the other sandboxes, and the whole mock, go on as they were."""
    await create(guarded, "job-b")
    lifecycles, webhooks = guarded.runtime.lifecycles, guarded.runtime.webhooks
    for path, body in (
        ("/__admin/lifecycle", {"provider": "tuimprenta", "mode": "manual"}),
        ("/__admin/webhooks/pause", None),
    ):
        answer = await guarded.client.post(path, json=body, headers=sandbox("job-a"))
        assert answer.status == 200, await answer.text()
    a, b = (guarded.runtime.providers["tuimprenta"].tenant_name(k) for k in ("job-a", "job-b"))
    assert lifecycles.mode("tuimprenta", "batch", a).value == "manual"
    assert lifecycles.mode("tuimprenta", "batch", b).value == "timed" and lifecycles.modes == {}
    assert webhooks.paused is False and webhooks.paused_sandboxes == {("tuimprenta", a)}
    other = {"provider": "tuimprenta", "tenant": "job-b", "mode": "manual"}
    refused = await guarded.client.post("/__admin/lifecycle", json=other, headers=sandbox("job-a"))
    assert refused.status == 403
    reset = await guarded.client.post("/__admin/reset/controls", headers=sandbox("job-a"))
    assert reset.status == 200 and lifecycles.sandbox_modes == {} and webhooks.paused_sandboxes == set()
    assert len(await listed(guarded, "job-b")) == 1


async def test_a_wrong_sandbox_credential_is_401_and_an_unknown_provider_400(guarded: Mock) -> None:
    hacienda = {"X-Mock-Provider": "hacienda", "Authorization": "bearer not-a-token"}
    refused = await guarded.client.get("/__admin/requests", headers=hacienda)
    assert refused.status == 401 and (await refused.json())["error"].startswith("hacienda: ")
    unknown = await guarded.client.get("/__admin/requests", headers={"X-Mock-Provider": "bsalee"})
    assert unknown.status == 400 and "bsalee" in (await unknown.json())["error"]


async def test_a_hacienda_token_opens_its_users_sandbox_on_the_control_plane(guarded: Mock) -> None:
    token = (await login(guarded))["access_token"]
    headers = {"X-Mock-Provider": "hacienda", "Authorization": f"bearer {token}"}
    journal = await guarded.client.get("/__admin/requests", headers=headers)
    assert journal.status == 200
    assert {e["provider"] for e in (await journal.json())["requests"]} <= {"hacienda"}


async def test_a_sandbox_rule_faults_that_sandbox_only(guarded: Mock) -> None:
    rule = {"operation": "createInvoice", "status": 503}
    added = await guarded.client.post("/__admin/scenarios", json=rule, headers=sandbox("job-a"))
    assert added.status == 201 and (await added.json())["tenant"] == credential_label("job-a")
    hit = await guarded.client.post(
        f"{V1}/invoices", json=invoice_body(), headers={"Authorization": "Bearer job-a"}
    )
    assert hit.status == 503
    await create(guarded, "job-b")
    rules = await (await guarded.client.get("/__admin/scenarios", headers=sandbox("job-b"))).json()
    assert rules["rules"] == [] and list(rules["catalogues"]) == ["tuimprenta"]
    cleared = await guarded.client.delete("/__admin/scenarios", headers=sandbox("job-b"))
    assert (await cleared.json())["removed"] == 0  # job-b cannot lift job-a's rule


async def test_a_sandbox_reset_stays_a_sandbox_reset_when_a_restart_replays_it(
    make_mock: Any, tmp_path: Path
) -> None:
    settings = {"providers": ("tuimprenta",), "admin_token": "s3cret", "state_file": tmp_path / "s.sqlite"}
    first: Mock = await make_mock(**settings)
    await create(first, "job-a")
    await create(first, "job-b")
    assert (await first.client.post("/__admin/reset", json={}, headers=sandbox("job-a"))).status == 200
    await first.client.close()
    again: Mock = await make_mock(**settings)
    assert await persistence.restore(again.runtime) == 3  # as `mockserver --state-file` does at start
    assert await listed(again, "job-a") == [] and len(await listed(again, "job-b")) == 1
    [write] = [w for w in again.runtime.store.writes() if w.target == "/__admin/reset"]
    assert not {n.lower() for n, _ in write.headers} & {"authorization", "x-mock-admin-token"}


async def test_the_demo_inbox_shows_a_sandbox_the_deliveries_it_sent_only(guarded: Mock) -> None:
    base = str(guarded.client.make_url("")).rstrip("/")
    for key in ("job-a", "job-b"):
        body = {
            "type": "invoice.create",
            "payload": [invoice_body()],
            "callback_url": f"{base}/__admin/inbox/ci",
        }
        batch = await guarded.client.post(
            f"{V1}/batches", json=body, headers={"Authorization": f"Bearer {key}"}
        )
        assert batch.status == 202
    await guarded.client.post("/__admin/clock", json={"advance": 30}, headers=ADMIN)
    await guarded.settle_webhooks()
    everything = await (await guarded.client.get("/__admin/inbox/ci", headers=ADMIN)).json()
    assert everything["count"] >= 2
    mine = await (await guarded.client.get("/__admin/inbox/ci", headers=sandbox("job-a"))).json()
    assert mine["count"] >= 1 and all(
        m["sandbox"] == ["tuimprenta", credential_label("job-a")] for m in mine["messages"]
    )
    assert mine["count"] < everything["count"]


async def test_inbox_names_and_space_are_bounded(make_mock: Any) -> None:
    from mockserver.core.services import inboxes

    mock: Mock = await make_mock(providers=("tuimprenta",))
    for n in range(300):  # 64 KB each, to a new name each time: more than all inboxes hold
        assert (await mock.client.post(f"/__admin/inbox/box-{n}", data=b"x" * 70_000)).status == 200
    names = [name for name, _ in mock.runtime.inboxes.items()]
    assert "box-299" in names and "box-0" not in names  # the oldest went first
    held = sum(len(m["raw"]) * 2 for _, box in mock.runtime.inboxes.items() for m in box)
    assert held <= inboxes.SPACE * inboxes.UNIT
    for _ in range(inboxes.PER_INBOX + 10):
        await mock.client.post("/__admin/inbox/one", data=b"x")
    assert len(mock.runtime.inboxes.get("one")) == inboxes.PER_INBOX
    long_name = await mock.client.post("/__admin/inbox/" + "n" * 65, data=b"x")
    assert long_name.status == 400
    big = await mock.client.post("/__admin/inbox/big", data=b"y" * 200_000)
    [message] = (await (await mock.client.get("/__admin/inbox/big")).json())["messages"]
    assert message["truncated"] and len(message["raw"]) == 64 * 1024 and big.status == 200


async def test_a_mock_listening_beyond_loopback_makes_an_admin_token_and_shows_it(make_mock: Any) -> None:
    from mockserver.core.runtime import admin_token
    from mockserver.settings import Settings

    assert admin_token(Settings(host="127.0.0.1")) is None
    assert admin_token(Settings(host="0.0.0.0", admin_token="off")) is None
    assert admin_token(Settings(host="0.0.0.0", admin_token="mine")) == "mine"
    made = admin_token(Settings(host="0.0.0.0"))
    assert made and len(made) >= 24 and made != admin_token(Settings(host="0.0.0.0"))


async def test_a_sandboxs_credential_may_name_its_own_sandbox_by_its_key(guarded: Mock) -> None:
    await create(guarded, "job-a")
    own = await guarded.client.get(
        "/__admin/entities?provider=tuimprenta&tenant=job-a", headers=sandbox("job-a")
    )
    assert own.status == 200 and len((await own.json())["entities"]) == 1
    other = await guarded.client.get(
        "/__admin/entities?provider=tuimprenta&tenant=job-b", headers=sandbox("job-a")
    )
    assert other.status == 403
