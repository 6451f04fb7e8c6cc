"""The coverage report of a known sequence of calls is exact: every operation of the spec with the
statuses it documents, reached or never; the error codes and scenarios; the end states of the work
the sandbox started and what became of its webhooks; one sandbox's traffic never in another's."""

from __future__ import annotations

from typing import Any

import yaml
from aiohttp import web

from mockserver.paths import SPECS
from tests.conftest import Mock, MockFactory
from tests.providers.tuimprenta.conftest import KEY, Tuimprenta, invoice_body

OTHER = "ti_test_someone_else_entirely_0000"


def _documented() -> dict[str, list[int]]:
    spec = yaml.safe_load((SPECS / "tuimprenta" / "openapi.yaml").read_text(encoding="utf-8"))
    return {
        op["operationId"]: sorted(int(s) for s in op["responses"] if str(s).isdigit())
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


async def _report(mock: Mock, **query: str) -> Any:
    response = await mock.client.get("/__admin/coverage", params={"provider": "tuimprenta", **query})
    assert response.status == 200, await response.text()
    return (await response.json())["reports"][0]


async def test_the_coverage_report_of_a_known_sequence_is_exact(
    make_mock: MockFactory, aiohttp_server: Any
) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",))
    answers = iter((500, 200))  # the receiver fails once: the batch's webhook is delivered on a retry

    async def hook(request: web.Request) -> web.Response:
        return web.Response(status=next(answers, 200))

    app = web.Application()
    app.router.add_post("/hook", hook)
    receiver = await aiohttp_server(app)
    ti = Tuimprenta(mock)
    made = await ti.invoice()
    await ti.ok("GET", f"/invoices/{made['id']}")
    await ti.ok("GET", f"/invoices/{made['id']}")
    bad_rif = invoice_body(customer={"name": "X", "tax_id": "J-12345678-0"})
    assert (await ti.call("POST", "/invoices", json=bad_rif)).status == 402
    assert (await ti.call("GET", "/invoices/inv_nope")).status == 404
    scenario = {"X-Mock-Scenario": "rejected-by-tax-authority"}
    assert (await ti.call("POST", "/invoices", json=invoice_body(), headers=scenario)).status == 402
    batch = {
        "type": "invoice.create",
        "payload": [invoice_body()],
        "callback_url": str(receiver.make_url("/hook")),
    }
    await ti.ok("POST", "/batches", 202, json=batch)
    await Tuimprenta(mock, OTHER).ok("GET", "/invoices")  # another sandbox's: never in this report
    await mock.advance(5)
    await mock.settle_webhooks()
    await mock.advance(600)  # the retry
    await mock.settle_webhooks()

    report = await _report(mock, tenant=KEY)
    documented = _documented()
    reached = {
        "createInvoice": [201, 402],
        "getInvoice": [200, 404],
        "createBatch": [202],
    }
    assert set(report["operations"]) == set(documented)
    for operation, statuses in documented.items():
        seen = report["operations"][operation]
        assert seen["statuses"]["reached"] == reached.get(operation, []), operation
        assert seen["statuses"]["never"] == [s for s in statuses if s not in reached.get(operation, [])]
    assert report["operations"]["getInvoice"]["requests"] == 3
    assert report["operations"]["listInvoices"]["requests"] == 0  # the other sandbox's list
    assert report["operations"]["createInvoice"]["error_codes"] == ["E2000", "E2001"]
    assert report["operations"]["createInvoice"]["scenarios"] == ["rejected-by-tax-authority"]
    total = sum(len(s) for s in documented.values())
    assert report["statuses"] == {"documented": total, "reached": 5}
    assert report["covered"] == round(5 / total, 4)
    assert report["scenarios"]["reached"] == ["rejected-by-tax-authority"]
    assert "rate-limited" in report["scenarios"]["never"]
    assert report["lifecycle_end_states"] == {"batch": ["done"]}
    assert list(report["webhooks"]) == ["batch.completed"]
    assert report["webhooks"]["batch.completed"]["reached"] == ["delivered after a retry"]

    other = await _report(mock, tenant=OTHER)
    assert other["operations"]["listInvoices"]["statuses"]["reached"] == [200]
    assert other["statuses"]["reached"] == 1 and other["lifecycle_end_states"] == {}

    table = await mock.client.get(
        "/__admin/coverage", params={"provider": "tuimprenta", "tenant": KEY, "format": "table"}
    )
    text = await table.text()
    assert "tuimprenta (key-" in text and f"5 of {total} documented statuses reached" in text
    assert "createInvoice" in text and "codes E2000,E2001" in text


async def test_a_sandbox_credential_reads_only_its_own_coverage(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock(providers=("tuimprenta",), host="0.0.0.0", admin_token="t0ken")
    ti = Tuimprenta(mock)
    await ti.invoice()
    mine = await mock.client.get("/__admin/coverage", headers={**ti.headers, "X-Mock-Provider": "tuimprenta"})
    assert mine.status == 200
    report = (await mine.json())["reports"][0]
    assert report["operations"]["createInvoice"]["statuses"]["reached"] == [201]
    theirs = await mock.client.get(
        "/__admin/coverage",
        params={"tenant": OTHER},
        headers={**ti.headers, "X-Mock-Provider": "tuimprenta"},
    )
    assert theirs.status == 403


async def test_a_typo_in_a_coverage_filter_is_refused(mock: Mock) -> None:
    response = await mock.client.get("/__admin/coverage", params={"provdier": "bsale"})
    assert response.status == 400
    assert (await mock.client.get("/__admin/coverage", params={"format": "html"})).status == 400


async def test_coverage_keeps_a_bounded_number_of_sandboxes(mock: Mock) -> None:
    """Any credential opens a sandbox: past the limit the least recently active one is forgotten, so no
    client can make the mock's memory grow without bound."""
    mock.runtime.coverage.limit = 3

    async def read(token: str) -> None:
        response = await mock.client.get("/bsale/v1/coins.json", headers={"access_token": token})
        assert response.status == 200

    for token in ("job-a", "job-b", "job-c", "job-a", "job-d"):  # job-a is active again before job-d
        await read(token)
    kept = {}
    for token in ("job-a", "job-b", "job-c", "job-d"):
        answer = await mock.client.get("/__admin/coverage", params={"provider": "bsale", "tenant": token})
        kept[token] = (await answer.json())["reports"][0]["statuses"]["reached"]
    assert kept == {"job-a": 1, "job-b": 0, "job-c": 1, "job-d": 1}
