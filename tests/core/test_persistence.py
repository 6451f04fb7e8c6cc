"""State as writes: export and import, the log a full reset compacts, and fixtures checked against specs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from mockserver.core import persistence
from mockserver.core.services import store
from mockserver.core.services.masking import tenant_label
from tests.conftest import Mock, MockFactory
from tests.providers.tuimprenta.conftest import Tuimprenta, invoice_body


def _unlinked(invoice: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in invoice.items() if k != "links"}


async def _mock(make_mock: MockFactory, **overrides: Any) -> Mock:
    mock: Mock = await make_mock(providers=("tuimprenta", "bsale"), **overrides)
    return mock


async def test_export_and_import_into_another_mock_gives_back_the_same_invoices(
    make_mock: MockFactory,
) -> None:
    source = Tuimprenta(await _mock(make_mock))
    made = [await source.invoice(series=s) for s in ("A", "A", "B")]
    await source.ok("POST", f"/invoices/{made[1]['id']}/cancel", json={"reason": "duplicada"})
    exported = await (await source.mock.client.get("/__admin/state")).json()
    assert exported["format"] == persistence.FORMAT and len(exported["writes"]) == 4

    target = Tuimprenta(await _mock(make_mock, seed=99))  # another seed: the export's wins
    await target.invoice(series="Z")  # replaced by the import
    imported = await target.mock.client.put("/__admin/state", json=exported)
    assert (imported.status, await imported.json()) == (200, {"imported": 4})
    before = await source.ok("GET", "/invoices")
    after = await target.ok("GET", "/invoices")
    # links are made per read from the reader's own host; everything else is the same
    assert [_unlinked(i) for i in after["data"]] == [_unlinked(i) for i in before["data"]]
    assert [i["status"] for i in after["data"]] == ["issued", "canceled", "issued"]
    again = await (await target.mock.client.get("/__admin/state")).json()
    assert again["writes"] == exported["writes"]


async def test_an_export_holds_every_write_across_the_write_logs_batches(make_mock: MockFactory) -> None:
    """Without a state file the log inserts its writes a batch at a time: an export in the middle of a
    batch still has every write, in order."""
    source = Tuimprenta(await _mock(make_mock, rate_limits={"*": None}))
    customer = invoice_body()["customer"]
    names = [f"Cliente {n}" for n in range(store.BATCH + 5)]
    for name in names:
        await source.invoice(customer={**customer, "name": name})
    exported = await (await source.mock.client.get("/__admin/state")).json()
    assert [json.loads(w["body"])["customer"]["name"] for w in exported["writes"]] == names


async def test_import_refuses_what_is_not_an_export_and_keeps_the_state(make_mock: MockFactory) -> None:
    ti = Tuimprenta(await _mock(make_mock))
    kept = await ti.invoice()
    for body, message in (
        ({"writes": []}, 'the body needs "format": "mockserver-state/1"'),
        ({"format": persistence.FORMAT, "writes": [{"method": "POST"}]}, "malformed export"),
    ):
        response = await ti.mock.client.put("/__admin/state", json=body)
        assert response.status == 400
        assert message in (await response.json())["error"]
    assert [i["id"] for i in (await ti.ok("GET", "/invoices"))["data"]] == [kept["id"]]


async def test_reads_are_not_recorded_and_a_full_reset_compacts_the_log(make_mock: MockFactory) -> None:
    ti = Tuimprenta(await _mock(make_mock))
    store = ti.mock.runtime.store
    for _ in range(3):
        await ti.invoice()
    await ti.ok("GET", "/invoices")
    assert store.count() == 3
    await ti.mock.client.post("/__admin/lifecycle", json={"provider": "tuimprenta", "mode": "manual"})
    await ti.mock.client.post("/__admin/reset", json={"provider": "tuimprenta"})  # scoped: nothing dropped
    assert store.count() == 5
    await ti.mock.client.post("/__admin/reset", json={})
    # the invoices went with the reset; the lifecycle mode outlives it, so its write stays
    assert [(w.method, w.target) for w in store.writes()] == [
        ("POST", "/__admin/lifecycle"),
        ("POST", "/__admin/reset"),
    ]


async def test_fixtures_directory_seeds_requests_as_a_tenant(make_mock: MockFactory, tmp_path: Path) -> None:
    (tmp_path / "tuimprenta-invoices.yaml").write_text(
        "- method: POST\n"
        "  path: /v1/invoices\n"
        "  tenant: ti_test_key\n"
        "  body:\n"
        "    series: FX\n"
        "    customer: {name: Fixture C.A., tax_id: J-12345678-4}\n"
        "    items: [{description: Sello, qty: 2, unit_price: 5}]\n",
        encoding="utf-8",
    )
    ti = Tuimprenta(await _mock(make_mock))
    fixtures = persistence.load_fixtures(ti.mock.runtime, tmp_path)
    assert await persistence.apply_fixtures(ti.mock.runtime, fixtures) == [201]
    listed = (await ti.ok("GET", "/invoices"))["data"]
    assert [(i["series"], i["customer"]["name"], i["totals"]["total"]) for i in listed] == [
        ("FX", "Fixture C.A.", 11.6)
    ]
    assert ti.mock.runtime.store.count() == 1  # recorded: it persists and exports like any write
    exported = json.dumps((await (await ti.mock.client.get("/__admin/state")).json())["writes"])
    assert (
        "ti_test_key" not in exported and tenant_label("ti_test_key") in exported
    )  # the key's name, not the key


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "tuimprenta.yaml",
            "- {path: /v1/invoices, tenant: k, body: {series: X, items: []}}",
            "tuimprenta.yaml[0]: createInvoice refuses the body",
        ),
        ("tuimprenta.json", '[{"method": "PATCH", "path": "/v1/nothing"}]', "has no operation for PATCH"),
        ("avenio.yaml", "[]", "'avenio' is not a running provider"),
        ("tuimprenta.yaml", "{path: /v1/invoices}", "expected a list of requests"),
    ],
)
async def test_fixtures_are_checked_against_the_spec_at_load(
    make_mock: MockFactory, tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    mock = await _mock(make_mock)
    with pytest.raises(persistence.FixtureError, match=message.replace("[", r"\[").replace("]", r"\]")):
        persistence.load_fixtures(mock.runtime, tmp_path)


async def test_a_fixture_the_provider_refuses_stops_start_up(make_mock: MockFactory, tmp_path: Path) -> None:
    (tmp_path / "tuimprenta.yaml").write_text(
        "- {path: /v1/invoices, body: " + json.dumps(invoice_body()) + "}", encoding="utf-8"
    )  # no tenant, no credentials: 401 (JSON is YAML flow style)
    mock = await _mock(make_mock)
    fixtures = persistence.load_fixtures(mock.runtime, tmp_path)
    with pytest.raises(persistence.FixtureError, match="answered 401"):
        await persistence.apply_fixtures(mock.runtime, fixtures)


async def test_a_read_that_moves_a_polls_lifecycle_is_recorded_and_replayed(make_mock: MockFactory) -> None:
    source = Tuimprenta(await _mock(make_mock))
    await source.mock.client.post(
        "/__admin/lifecycle", json={"provider": "tuimprenta", "mode": "polls", "polls": 1}
    )
    payload = [
        {
            "series": "P",
            "customer": {"name": "A", "tax_id": "J-12345678-4"},
            "items": [{"description": "x", "qty": 1, "unit_price": 1}],
        }
    ]
    batch = await source.ok("POST", "/batches", 202, json={"payload": payload})
    assert (await source.ok("GET", f"/batches/{batch['id']}"))["status"] == "processing"
    assert source.mock.runtime.store.count() == 3  # the mode, the batch, and the read that moved it
    exported = await (await source.mock.client.get("/__admin/state")).json()

    target = Tuimprenta(await _mock(make_mock))
    assert (await target.mock.client.put("/__admin/state", json=exported)).status == 200
    assert target.mock.runtime.store.count() == 3
    # the replayed read left it processing; the next read completes it, as it would have on the source
    assert (await target.ok("GET", f"/batches/{batch['id']}"))["status"] == "completed"


async def test_requests_that_interleave_keep_their_own_ids_through_a_replay(make_mock: MockFactory) -> None:
    source = Tuimprenta(await _mock(make_mock))
    # each create waits at an await after its ids stream is set: the others start meanwhile
    await source.mock.client.post(
        "/__admin/scenarios", json={"provider": "tuimprenta", "operation": "createInvoice", "delay": 0.02}
    )
    made = await asyncio.gather(*(source.invoice(series=f"S{n}") for n in range(10)))
    exported = await (await source.mock.client.get("/__admin/state")).json()

    target = Tuimprenta(await _mock(make_mock))
    assert (await target.mock.client.put("/__admin/state", json=exported)).status == 200
    replayed = (await target.ok("GET", "/invoices"))["data"]
    assert sorted((i["id"], i["series"]) for i in replayed) == sorted((i["id"], i["series"]) for i in made)
