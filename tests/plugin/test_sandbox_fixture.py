"""`mockserver_sandbox`: each test of a user's suite in sandboxes of its own, on a clock of its own, with
no global reset; the suite runs under `pytest -n 4`, each worker with its mock in-process, or all on one
attached mock (one with an admin token the tests are not given: every control then goes through the
sandboxes' own credentials). The user's tests fail if any sandbox, clock, rule or journal were shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.process import free_ports, running

pytest_plugins = ["pytester"]

USER_TESTS = """
import httpx
import pytest

INVOICE = {"series": "A", "customer": {"name": "C", "tax_id": "J-12345678-4"},
           "items": [{"description": "x", "qty": 1, "unit_price": 10.0}]}


@pytest.mark.parametrize("n", range(6))
def test_a_batch_completes_on_this_tests_clock_alone(mockserver_sandbox, n):
    box = mockserver_sandbox
    base, headers = box.url("tuimprenta") + "/v1", box.headers("tuimprenta")
    assert httpx.get(base + "/invoices", headers=headers).json()["data"] == []  # a fresh sandbox
    box.clock.freeze()
    made = httpx.post(base + "/batches", json={"type": "invoice.create", "payload": [INVOICE] * (n + 1)},
                      headers=headers).json()
    assert httpx.get(base + "/batches/" + made["id"], headers=headers).json()["status"] == "queued"
    box.clock.advance(120)
    assert httpx.get(base + "/batches/" + made["id"], headers=headers).json()["status"] == "completed"
    assert len(httpx.get(base + "/invoices", headers=headers).json()["data"]) == n + 1
    box.verify("tuimprenta", operation="createBatch", times=1)
    assert len(box.requests("tuimprenta")) == 5  # its journal: this test's requests, no other's


@pytest.mark.parametrize("n", range(4))
def test_a_rule_fails_only_this_tests_requests(mockserver_sandbox, n):
    box = mockserver_sandbox
    base, headers = box.url("tuimprenta") + "/v1", box.headers("tuimprenta")
    box.scenario("tuimprenta", operation="createInvoice", status=503)
    assert httpx.post(base + "/invoices", json=INVOICE, headers=headers).status_code == 503


@pytest.mark.parametrize("n", range(4))
def test_a_token_expires_on_this_tests_clock(mockserver_sandbox, n):
    box = mockserver_sandbox
    headers = box.headers("hacienda")
    url = box.url("hacienda") + "/recepcion/v1/recepcion/506"
    assert httpx.get(url, headers=headers).status_code == 404
    box.clock.advance(301)
    assert httpx.get(url, headers=headers).status_code == 401


@pytest.mark.parametrize("n", range(4))
def test_a_bsale_document_is_this_tests_only(mockserver_sandbox, n):
    box = mockserver_sandbox
    base, headers = box.url("bsale") + "/v1", box.headers("bsale")
    body = {"documentTypeId": 1, "officeId": 1, "details": [{"netUnitValue": 1000, "quantity": 1}]}
    assert httpx.post(base + "/documents.json", json=body, headers=headers).status_code == 201
    listed = httpx.get(base + "/documents.json", params={"state": 0}, headers=headers).json()
    assert listed["count"] == 1  # this test's one, in an instance of its own


def test_one_clock_set_before_any_request_dates_every_providers_work(mockserver_sandbox):
    box = mockserver_sandbox
    box.clock.set("2030-01-01T12:00:00Z")
    box.clock.freeze()
    ti = box.headers("tuimprenta")
    invoice = httpx.post(box.url("tuimprenta") + "/v1/invoices", json=INVOICE, headers=ti)
    assert invoice.json()["created_at"] == "2030-01-01T12:00:00Z"
    body = {"documentTypeId": 1, "officeId": 1, "details": [{"netUnitValue": 1000, "quantity": 1}]}
    document = httpx.post(box.url("bsale") + "/v1/documents.json", json=body, headers=box.headers("bsale"))
    assert document.json()["emissionDate"] == 1893456000  # that day, on the same clock
    box.clock.advance(86400)
    assert box.clock.now()["now"] == "2030-01-02T12:00:00Z"


def test_an_event_is_triggered_in_this_tests_sandbox(mockserver_sandbox):
    box = mockserver_sandbox
    inbox = box.client.inbox_url("sandbox-" + box.tenant("tuimprenta")[-12:])
    sent = box.trigger("tuimprenta", "batch.completed", url=inbox)
    assert [d["event"] for d in sent["deliveries"]] == ["batch.completed"]
    assert [d["event"] for d in box.deliveries("tuimprenta")] == ["batch.completed"]
"""


def run_user_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\nmockserver_providers = hacienda,bsale,tuimprenta\n")
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester.runpytest_subprocess("-n", "4", "-p", "no:cacheprovider", *args)


def test_a_users_suite_runs_in_parallel_with_a_mock_in_each_worker(pytester: pytest.Pytester) -> None:
    result = run_user_suite(pytester)
    result.assert_outcomes(passed=20)


def test_a_users_suite_runs_in_parallel_on_one_attached_mock(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    port = free_ports()
    args = [
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--rate-limits",
        "off",
        "--admin-token",
        "not-given",
    ]
    health = f"http://127.0.0.1:{port}/__admin/health"
    with running(args, tmp_path / "mock.log", health=health):
        result = run_user_suite(pytester, "--mockserver-url", f"http://127.0.0.1:{port}")
    result.assert_outcomes(passed=20)
