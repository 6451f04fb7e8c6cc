"""`--mockserver-coverage` prints what a user's tests reached at the end of their run, and
`--mockserver-coverage-fail-under` fails a run that reached too little; a run without them prints
nothing of it."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import httpx

def test_one_invoice(mockserver):
    base = mockserver.url("tuimprenta") + "/v1"
    headers = {"Authorization": "Bearer ti_test_coverage_user_0000000001"}
    body = {"series": "A", "customer": {"name": "C", "tax_id": "J-12345678-4"},
            "items": [{"description": "x", "qty": 1, "unit_price": 10.0}]}
    assert httpx.post(base + "/invoices", json=body, headers=headers).status_code == 201
    assert httpx.get(base + "/invoices/inv_nope", headers=headers).status_code == 404

def test_the_fixture_resets_state_but_not_coverage(mockserver):
    base = mockserver.url("tuimprenta") + "/v1"
    headers = {"Authorization": "Bearer ti_test_coverage_user_0000000001"}
    assert httpx.get(base + "/invoices", headers=headers).json()["data"] == []
"""
INI = "[pytest]\nmockserver_providers = tuimprenta\n"


def test_the_coverage_of_a_users_run_is_printed_at_its_end(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("--mockserver-coverage", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*mockserver coverage*",
            "tuimprenta: 3 of * documented statuses reached*",
            "*createInvoice*reached 201 *",
            "*getInvoice*reached 404 *",
            "*listInvoices*reached 200 *",
            "documented statuses reached: *",
        ]
    )


def test_a_run_under_the_threshold_fails_and_one_over_it_passes(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_user=USER_TESTS)
    under = pytester.runpytest_subprocess("--mockserver-coverage-fail-under", "90", "-p", "no:cacheprovider")
    assert under.ret == pytest.ExitCode.TESTS_FAILED
    under.stdout.fnmatch_lines(["*FAIL: under the required 90 %*"])
    over = pytester.runpytest_subprocess("--mockserver-coverage-fail-under", "1", "-p", "no:cacheprovider")
    assert over.ret == pytest.ExitCode.OK


def test_without_the_option_nothing_is_printed(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert "mockserver coverage" not in result.stdout.str()
