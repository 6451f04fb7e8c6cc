"""Idempotency keys: the same body replays, another body conflicts, scopes never mix, memory is bounded."""

from __future__ import annotations

import pytest

from mockserver.core.services.idempotency import IdempotencyStore, KeyReused, Stored


def _stored(fingerprint: str, status: int = 201) -> Stored:
    return Stored(fingerprint, status, (("Content-Type", "application/json"),), b"{}")


def test_the_same_key_and_body_find_the_first_answer() -> None:
    store = IdempotencyStore()
    fingerprint = store.fingerprint("createThing", b'{"a":1}')
    store.remember(("toy", "t", "k"), _stored(fingerprint))
    found = store.lookup(("toy", "t", "k"), fingerprint)
    assert found is not None and found.status == 201


def test_the_same_key_with_another_body_is_refused() -> None:
    store = IdempotencyStore()
    store.remember(("toy", "t", "k"), _stored(store.fingerprint("createThing", b"1")))
    with pytest.raises(KeyReused):
        store.lookup(("toy", "t", "k"), store.fingerprint("createThing", b"2"))


def test_the_operation_is_part_of_the_fingerprint_and_tenants_do_not_share_keys() -> None:
    store = IdempotencyStore()
    assert store.fingerprint("emitir", b"x") != store.fingerprint("anular", b"x")
    store.remember(("toy", "a", "k"), _stored("f"))
    assert store.lookup(("toy", "b", "k"), "other") is None


def test_the_oldest_keys_are_forgotten_first() -> None:
    store = IdempotencyStore(size=2)
    for key in ("k1", "k2", "k3"):
        store.remember(("toy", "t", key), _stored(key))
    assert store.lookup(("toy", "t", "k1"), "k1") is None
    assert store.lookup(("toy", "t", "k3"), "k3") is not None


def test_clear_forgets_one_tenant_or_one_provider() -> None:
    store = IdempotencyStore()
    store.remember(("toy", "a", "k"), _stored("f"))
    store.remember(("toy", "b", "k"), _stored("f"))
    store.remember(("bsale", "a", "k"), _stored("f"))
    store.clear("toy", "a")
    assert store.lookup(("toy", "a", "k"), "f") is None
    assert store.lookup(("toy", "b", "k"), "f") is not None
    store.clear("bsale")
    assert store.lookup(("bsale", "a", "k"), "f") is None
