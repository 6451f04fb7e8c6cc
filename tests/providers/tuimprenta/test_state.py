"""tuimprenta's state without HTTP: numbers per series, control numbers, cancellation, batches."""

from __future__ import annotations

import pytest

from mockserver.core.errors import MockError
from mockserver.core.services.lifecycle import Mode
from mockserver.providers.tuimprenta.models import BatchRow, Problem
from tests.providers.state import advance, state_of
from tests.providers.tuimprenta.conftest import invoice_body


def test_numbers_count_per_series_and_control_numbers_per_key() -> None:
    _, state = state_of("tuimprenta")
    account = state.account("key-one")
    first = state.issue(account, invoice_body())
    second = state.issue(account, invoice_body())
    other_series = state.issue(account, invoice_body(series="OTRA"))
    assert (first.number, second.number, other_series.number) == (1, 2, 1)
    assert len({first.control_number, second.control_number, other_series.control_number}) == 3
    assert state.issue(state.account("key-two"), invoice_body()).number == 1


def test_totals_and_tax_breakdown_follow_the_items() -> None:
    _, state = state_of("tuimprenta")
    invoice = state.issue(state.account("k"), invoice_body())
    assert invoice.totals["subtotal"] == 12.0 and invoice.totals["tax"] == 1.92
    assert invoice.totals["total"] == 13.92


def test_a_malformed_rif_is_a_problem_and_issues_nothing() -> None:
    _, state = state_of("tuimprenta")
    account = state.account("k")
    with pytest.raises(Problem):
        state.issue(account, invoice_body(customer={"name": "X", "tax_id": "J-1"}))
    assert account.invoices == {}


def test_a_canceled_invoice_cannot_be_canceled_again() -> None:
    _, state = state_of("tuimprenta")
    account = state.account("k")
    invoice = state.cancel(account, state.issue(account, invoice_body()), "error de digitación")
    assert invoice.status == "canceled"
    with pytest.raises(MockError):
        state.cancel(account, invoice, "otra vez")


def test_a_batch_is_queued_then_processed_and_polled_by_its_handle() -> None:
    runtime, state = state_of("tuimprenta")
    account = state.account("k")
    groups = [(invoice_body(), [BatchRow(1, "A-1")]), (invoice_body(series="X"), [BatchRow(2, "A-2")])]
    batch = state.create_batch(account, "invoice.create", groups, None, "json")
    assert batch.status == "queued"
    advance(runtime, 1)
    assert batch.status == "processing"
    advance(runtime, 1)
    assert state.batch(account, batch.id).status == "completed" and batch.processed == 2
    runtime.lifecycles.set_mode("tuimprenta", "*", Mode.POLLS, polls=1)
    polled = state.create_batch(account, "invoice.create", groups[:1], None, "json")
    assert state.poll_batch(account, polled.id).status == "processing"
    with pytest.raises(MockError, match="no existe"):
        state.poll_batch(state.account("someone-else"), polled.id)
