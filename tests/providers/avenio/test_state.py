"""Avenio's state without HTTP: an emission's operation on the clock, folios per issuer, polls by handle."""

from __future__ import annotations

from mockserver.core.services.lifecycle import Mode
from tests.providers.avenio.conftest import emision
from tests.providers.state import advance, state_of

BASE = "http://mock.test/avenio"


def test_an_emission_completes_with_a_folio_and_the_retention() -> None:
    runtime, state = state_of("avenio")
    op = state.emit("sandbox-public", emision(), BASE, None)
    assert op.status == "pending"
    advance(runtime, 1)
    assert state.operation("sandbox-public", op.id).status == "processing"
    advance(runtime, 2)
    done = state.operation("sandbox-public", op.id)
    assert done.status == "completed" and done.boleta is not None and done.boleta.folio == 1
    boleta = done.boleta
    assert (boleta.bruto, boleta.tasa, boleta.retencion, boleta.liquido) == (500000, "15.25", 76250, 423750)
    assert state.as_json(done)["result"]["folio"] == 1


def test_folios_count_per_issuer_and_clients_do_not_share_operations() -> None:
    _, state = state_of("avenio", lifecycle="immediate")
    first = state.emit("sandbox-public", emision(), BASE, None)
    second = state.emit("sandbox-public", emision(), BASE, None)
    assert (first.boleta.folio, second.boleta.folio) == (1, 2)  # type: ignore[union-attr]
    other = state.emit("bhe-emitter", emision(), BASE, None)
    assert other.boleta.folio == 1  # type: ignore[union-attr]
    assert first.id not in state.books["bhe-emitter"].operations


def test_a_wrong_sii_password_fails_the_operation_and_keeps_no_password() -> None:
    _, state = state_of("avenio", lifecycle="immediate")
    op = state.emit("sandbox-public", emision(passwordSII="wrong-password"), BASE, None)
    assert op.status == "failed" and op.error is not None
    assert op.error["code"] == "sii_invalid_credentials"
    assert "passwordSII" not in op.request


def test_in_polls_mode_reading_the_operation_through_poll_moves_it() -> None:
    runtime, state = state_of("avenio")
    runtime.lifecycles.set_mode("avenio", "*", Mode.POLLS, polls=1)
    op = state.emit("sandbox-public", emision(), BASE, None)
    assert state.operation("sandbox-public", op.id).status == "pending"
    assert state.poll("sandbox-public", op.id).status == "processing"
