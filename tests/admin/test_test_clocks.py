"""Test clocks: a clock a test makes, attached to its sandboxes (of one provider or several), frozen
where it was put and moved on its own. The attached sandboxes' work follows it; every other sandbox
follows the mock's clock, and neither sees the other's time move."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mockserver.core import persistence
from mockserver.core.services.testclocks import PER_SANDBOX
from mockserver.providers.hacienda import sample
from tests.conftest import Mock, MockFactory
from tests.providers.bsale.conftest import Bsale, boleta
from tests.providers.hacienda.conftest import USER, Hacienda, login
from tests.providers.tuimprenta.conftest import KEY, Tuimprenta, invoice_body

OTHER = "ti_test_another_ci_job_000000000001"
Y2030 = "2030-01-01T00:00:00Z"


async def _clock(mock: Mock, **body: Any) -> dict[str, Any]:
    response = await mock.client.post("/__admin/clocks", json=body)
    assert response.status == 201, await response.text()
    made: dict[str, Any] = await response.json()
    return made


async def _move(mock: Mock, clock: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = await mock.client.post(f"/__admin/clocks/{clock['id']}", json=body)
    assert response.status == 200, await response.text()
    moved: dict[str, Any] = await response.json()
    return moved


async def _batch(ti: Tuimprenta, url: str | None = None) -> str:
    body: dict[str, Any] = {"type": "invoice.create", "payload": [invoice_body()]}
    if url:
        body["callback_url"] = url
    made: dict[str, Any] = await ti.ok("POST", "/batches", 202, json=body)
    return str(made["id"])


async def _status(ti: Tuimprenta, batch: str) -> str:
    return str((await ti.ok("GET", f"/batches/{batch}"))["status"])


async def test_a_sandbox_on_a_test_clock_and_one_on_the_mocks_clock_never_see_each_others_time(
    make_mock: MockFactory,
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    clock = await _clock(mock, frozen_time=Y2030, sandboxes=[{"provider": "tuimprenta", "tenant": KEY}])
    assert (clock["now"], clock["frozen"]) == (Y2030, True)
    assert clock["sandboxes"][0]["tenant"].startswith("key-")  # the sandbox the key opens
    mine, theirs = Tuimprenta(mock), Tuimprenta(mock, OTHER)
    made = await mine.invoice()
    assert made["created_at"].startswith("2030-01-01")  # what the sandbox does reads its clock
    assert not (await theirs.invoice())["created_at"].startswith("2030")
    my_batch, their_batch = await _batch(mine), await _batch(theirs)
    await mock.advance(3600)  # the mock's clock: the other sandbox's work moves, this one's does not
    assert await _status(theirs, their_batch) == "completed"
    assert await _status(mine, my_batch) == "queued"
    moved = await _move(mock, clock, advance=30)  # its own clock: its work runs before the answer
    assert moved["now"] == "2030-01-01T00:00:30Z"
    assert await _status(mine, my_batch) == "completed"
    assert (await mock.client.get("/__admin/clock")).status == 200


async def test_one_clock_moves_a_bsale_and_a_hacienda_sandbox_together(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("bsale", "hacienda"))
    token = (await login(mock))["access_token"]
    sandboxes = [
        {"provider": "bsale", "tenant": "bsale-job-token"},
        {"provider": "hacienda", "tenant": f"rut-stag/{USER}"},
    ]
    clock = await _clock(mock, sandboxes=sandboxes)
    bsale, hacienda = Bsale(mock, "bsale-job-token"), Hacienda(mock, token)
    doc = await bsale.create({**boleta(1000), "codeSii": 39})
    key = await hacienda.submit(sample.Sample())
    await mock.advance(120)  # the mock's clock alone: neither sandbox's work moves
    assert (await bsale.get_json(f"documents/{doc['id']}.json"))["informedSii"] == 1
    assert (await hacienda.status(key))["ind-estado"] != "aceptado"
    await _move(mock, clock, advance=120)
    assert (await bsale.get_json(f"documents/{doc['id']}.json"))["informedSii"] == 0
    assert (await hacienda.status(key))["ind-estado"] == "aceptado"


async def test_a_webhook_retry_follows_its_sandboxs_clock(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    answers = iter((500, 200))
    got: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        got.append(next(answers, 200))
        return web.Response(status=got[-1])

    app = web.Application()
    app.router.add_post("/hook", hook)
    receiver = await aiohttp_server(app)
    clock = await _clock(mock, sandboxes=[{"provider": "tuimprenta", "tenant": KEY}])
    await _batch(Tuimprenta(mock), str(receiver.make_url("/hook")))
    await _move(mock, clock, advance=60)  # the batch completes: the first attempt fails
    await mock.settle_webhooks()
    assert got == [500]
    await mock.advance(86400)  # a day on the mock's clock: the retry is due on the sandbox's
    await mock.settle_webhooks()
    assert got == [500]
    await _move(mock, clock, advance=3600)
    await mock.settle_webhooks()
    assert got == [500, 200]


async def test_a_deleted_clock_leaves_its_sandboxes_on_the_mocks_clock(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    clock = await _clock(mock, frozen_time=Y2030, sandboxes=[{"provider": "tuimprenta", "tenant": KEY}])
    ti = Tuimprenta(mock)
    batch = await _batch(ti)
    assert (await mock.client.delete(f"/__admin/clocks/{clock['id']}")).status == 200
    assert not (await ti.invoice())["created_at"].startswith("2030")
    await mock.advance(3600)  # its next step came along, as far off as it was: it has run
    assert await _status(ti, batch) == "processing"
    await mock.advance(3600)  # and the steps after it count from then, on the mock's clock
    assert await _status(ti, batch) == "completed"
    assert (await mock.client.get(f"/__admin/clocks/{clock['id']}")).status == 404


async def test_a_clock_can_be_set_unfrozen_sped_up_and_its_sandboxes_moved(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    clock = await _clock(mock, frozen_time=Y2030, name="ci job 7")
    assert clock["name"] == "ci job 7" and clock["sandboxes"] == []
    moved = await _move(
        mock, clock, set="2031-06-01T00:00:00Z", attach=[{"provider": "tuimprenta", "tenant": KEY}]
    )
    assert moved["now"] == "2031-06-01T00:00:00Z" and len(moved["sandboxes"]) == 1
    running = await _move(mock, clock, freeze=False, speed=60)
    assert (running["frozen"], running["speed"]) == (False, 60)
    await mock.advance(60)  # a minute on the mock's clock is an hour on this one
    assert (await _move(mock, clock, freeze=True))["now"] == "2031-06-01T01:00:00Z"
    detached = await _move(mock, clock, detach=[{"provider": "tuimprenta", "tenant": KEY}])
    assert detached["sandboxes"] == []
    listed = await (await mock.client.get("/__admin/clocks")).json()
    assert [c["id"] for c in listed["clocks"]] == [clock["id"]]


async def test_mistakes_with_a_clock_are_refused_loudly(mock: Mock) -> None:
    clock = await _clock(mock)
    for body in (
        {"frozen_tme": 1},
        {"sandboxes": [{"provider": "nope", "tenant": "x"}]},
        {"sandboxes": [{"provider": "bsale"}]},
        {"frozen_time": "yesterday"},
        {"frozen": "no"},
    ):
        response = await mock.client.post("/__admin/clocks", json=body)
        assert response.status == 400, body
    for body in ({"advance": -1}, {"speed": 0}, {"advanc": 5}, {"freeze": "false"}):
        response = await mock.client.post(f"/__admin/clocks/{clock['id']}", json=body)
        assert response.status == 400, body
    assert (await mock.client.post("/__admin/clocks/clock_nope", json={"advance": 1})).status == 404


@pytest.mark.parametrize("from_snapshot", [True, False], ids=["from-a-snapshot", "from-the-log"])
async def test_clocks_and_their_sandboxes_survive_a_restart(
    make_mock: MockFactory, tmp_path: Path, from_snapshot: bool, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state.sqlite"
    first: Mock = await make_mock(providers=("tuimprenta",), state_file=state)
    clock = await _clock(first, frozen_time=Y2030, sandboxes=[{"provider": "tuimprenta", "tenant": KEY}])
    batch = await _batch(Tuimprenta(first))
    await _move(first, clock, advance=0.5)  # queued still: it is processed a second in
    first.runtime.snapshots.close()  # type: ignore[union-attr]  (a clean stop's snapshot)
    if not from_snapshot:
        Path(f"{state}-snapshot").unlink()
    again: Mock = await make_mock(providers=("tuimprenta",), state_file=state)
    persistence.open_store(again.runtime)
    await persistence.restore(again.runtime)
    assert "set aside" not in caplog.text
    kept = await (await again.client.get(f"/__admin/clocks/{clock['id']}")).json()
    assert (kept["epoch"], kept["frozen"], len(kept["sandboxes"])) == (clock["epoch"] + 0.5, True, 1)
    ti = Tuimprenta(again)
    assert await _status(ti, batch) == "queued"
    await again.advance(3600)
    assert await _status(ti, batch) == "queued"  # still on its clock after the restart
    await _move(again, clock, advance=60)
    assert await _status(ti, batch) == "completed"


async def test_the_dates_a_sandbox_writes_follow_its_clock(make_mock: MockFactory) -> None:
    """A tuimprenta invoice's default issue date (today in Caracas) and a Bsale document's emission
    date (its day, at midnight UTC) are the test clock's, not the mock's."""
    mock: Mock = await make_mock(providers=("tuimprenta", "bsale"))
    sandboxes = [{"provider": "tuimprenta", "tenant": KEY}, {"provider": "bsale", "tenant": "dated-company"}]
    await _clock(mock, frozen_time="2030-03-15T12:00:00Z", sandboxes=sandboxes)
    body = {k: v for k, v in invoice_body().items() if k != "issue_date"}
    assert (await Tuimprenta(mock).ok("POST", "/invoices", 201, json=body))["issue_date"] == "2030-03-15"
    doc = await Bsale(mock, "dated-company").create(boleta(1000))
    assert doc["emissionDate"] == 1899763200  # 2030-03-15T00:00:00Z
    other = await Bsale(mock, "undated-company").create(boleta(1000))
    assert other["emissionDate"] != doc["emissionDate"]


async def test_a_sandboxs_credential_drives_a_clock_of_its_own_and_no_other(make_mock: MockFactory) -> None:
    """On a shared mock a CI job has no admin token: its credential makes a clock for its own sandbox,
    moves and deletes it, and cannot see, move or join another's, nor attach another sandbox."""
    mock: Mock = await make_mock(providers=("tuimprenta",), host="0.0.0.0", admin_token="t0ken")
    mine = {"X-Mock-Provider": "tuimprenta", "Authorization": f"Bearer {KEY}"}
    theirs = {"X-Mock-Provider": "tuimprenta", "Authorization": f"Bearer {OTHER}"}
    made = await mock.client.post("/__admin/clocks", json={"frozen_time": Y2030}, headers=mine)
    assert made.status == 201, await made.text()
    clock = await made.json()
    assert [s["provider"] for s in clock["sandboxes"]] == ["tuimprenta"]  # its own sandbox, by default
    assert (await Tuimprenta(mock).invoice())["created_at"].startswith("2030")
    moved = await mock.client.post(f"/__admin/clocks/{clock['id']}", json={"advance": 60}, headers=mine)
    assert (await moved.json())["now"] == "2030-01-01T00:01:00Z"
    for method, path in (
        ("GET", f"/__admin/clocks/{clock['id']}"),
        ("POST", f"/__admin/clocks/{clock['id']}"),
    ):
        other = await mock.client.request(method, path, json={"advance": 60}, headers=theirs)
        assert other.status == 404  # another sandbox's clock is as good as none
    assert (await (await mock.client.get("/__admin/clocks", headers=theirs)).json())["clocks"] == []
    join = {"sandboxes": [{"provider": "tuimprenta", "tenant": KEY}]}
    assert (await mock.client.post("/__admin/clocks", json=join, headers=theirs)).status == 403
    admin = await mock.client.get("/__admin/clocks", headers={"X-Mock-Admin-Token": "t0ken"})
    assert [c["id"] for c in (await admin.json())["clocks"]] == [clock["id"]]
    for _ in range(PER_SANDBOX - 1):
        assert (await mock.client.post("/__admin/clocks", json={}, headers=mine)).status == 201
    too_many = await mock.client.post("/__admin/clocks", json={}, headers=mine)
    assert too_many.status == 400 and "delete some" in (await too_many.json())["error"]
    assert (await mock.client.post("/__admin/clocks", json={}, headers=theirs)).status == 201  # unharmed
    reset = await mock.client.post("/__admin/reset/controls", headers=mine)  # its controls: its clocks too
    assert reset.status == 200
    assert (await mock.client.get(f"/__admin/clocks/{clock['id']}", headers=mine)).status == 404


async def test_a_clock_made_running_runs_on_from_its_time(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",), clock_frozen=False)
    clock = await _clock(mock, frozen_time=Y2030, frozen=False)
    assert clock["frozen"] is False
    await mock.advance(60)  # the mock's clock moves; a running test clock moves with it
    shown = await (await mock.client.get(f"/__admin/clocks/{clock['id']}")).json()
    assert shown["epoch"] >= 1893456060


async def test_deleting_a_clock_with_reset_empties_its_sandboxes_only(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    clock = await _clock(mock, sandboxes=[{"provider": "tuimprenta", "tenant": KEY}])
    mine, theirs = Tuimprenta(mock), Tuimprenta(mock, OTHER)
    await mine.invoice()
    await theirs.invoice()
    rule = {"provider": "tuimprenta", "tenant": KEY, "operation": "listInvoices", "status": 503}
    assert (await mock.client.post("/__admin/scenarios", json=rule)).status in (200, 201)
    assert (await mock.client.delete(f"/__admin/clocks/{clock['id']}?reset=maybe")).status == 400
    gone = await mock.client.delete(f"/__admin/clocks/{clock['id']}?reset=true")
    assert (await gone.json())["reset"] == [["tuimprenta", clock["sandboxes"][0]["tenant"]]]
    assert (await mine.ok("GET", "/invoices"))["data"] == []  # its state and its rule are gone
    assert len((await theirs.ok("GET", "/invoices"))["data"]) == 1
    journal = await (await mock.client.get(f"/__admin/requests?provider=tuimprenta&tenant={KEY}")).json()
    assert [r["operation"] for r in journal["requests"]] == ["listInvoices"]  # only what came after
