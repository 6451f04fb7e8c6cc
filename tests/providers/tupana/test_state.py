"""Tu Pana's state without HTTP: enrolment by credential, a batch's documents on the clock, folios
(`use_defaults`: the API fills the issuer's and receiver's details, as X-Use-Defaults asks)."""

from __future__ import annotations

from mockserver.core.runtime import Runtime
from mockserver.core.services.lifecycle import Mode
from mockserver.providers.tupana.accounts import User
from mockserver.providers.tupana.state import TupanaState
from tests.providers.state import advance, state_of
from tests.providers.tupana.conftest import ISSUER, KEY, factura

BASE = "http://mock.test/tupana"


def _enrolled(**settings: object) -> tuple[Runtime, TupanaState, User]:
    runtime, state = state_of("tupana", **settings)
    user = state.user(KEY)
    state.create_credential(user, {"rut": ISSUER, "password": "clave-sii"})
    return runtime, state, user


def test_a_batch_of_an_enrolled_company_is_issued_with_folios_in_order() -> None:
    runtime, state, user = _enrolled()
    batch = state.create_batch(
        user, {"documents": [factura(), factura()]}, use_defaults=True, idempotency_key=None, base_url=BASE
    )
    assert batch.status == "created"
    advance(runtime, 1)
    assert batch.status == "processing"
    advance(runtime, 2)
    assert [d.folio for d in batch.documents] == [1, 2]
    assert [d.state for d in batch.documents] == ["accepted", "accepted"]


def test_a_batch_for_a_company_without_credential_fails_at_intake() -> None:
    _, state = state_of("tupana")
    user = state.user(KEY)
    batch = state.create_batch(
        user, {"documents": [factura()]}, use_defaults=False, idempotency_key=None, base_url=BASE
    )
    assert batch.status == "failed"
    assert batch.documents[0].problems[0]["code"] == "company_not_enrolled"


def test_keys_do_not_share_batches_and_a_poll_moves_only_its_own() -> None:
    runtime, state, user = _enrolled()
    runtime.lifecycles.set_mode("tupana", "*", Mode.POLLS, polls=1)
    batch = state.create_batch(
        user, {"documents": [factura()]}, use_defaults=True, idempotency_key=None, base_url=BASE
    )
    assert state.poll_batch(user, batch.id).status == "processing"
    assert batch.id not in state.user("another-key").batches
