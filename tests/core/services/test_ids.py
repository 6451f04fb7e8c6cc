"""Seedable ids: the same seed and token give the same ids, whatever ran in between."""

from __future__ import annotations

import uuid

from mockserver.core.services.ids import Ids


def test_the_same_seed_gives_the_same_ids() -> None:
    assert [Ids(42).hex(8) for _ in range(2)] == [Ids(42).hex(8)] * 2
    assert Ids(42).hex(8) != Ids(43).hex(8)


def test_a_reseeded_stream_repeats_its_ids_whatever_was_drawn_before() -> None:
    ids = Ids(7)
    ids.reseed("1.5")
    first = (ids.uuid(), ids.hex(12), ids.digits(6))
    ids.hex(40)  # other draws in between
    ids.reseed("1.5")
    assert (ids.uuid(), ids.hex(12), ids.digits(6)) == first


def test_a_timers_stream_is_its_own_and_the_callers_comes_back_after_it() -> None:
    ids = Ids(7)
    ids.reseed("request")
    before = ids.hex(8)
    ids.reseed("request")
    ids.hex(8)
    with ids.stream("job:10:batch"):
        in_job = ids.hex(8)
    after = ids.hex(8)
    ids.reseed("request")
    assert ids.hex(8) == before and ids.hex(8) == after
    with ids.stream("job:10:batch"):
        assert ids.hex(8) == in_job


def test_values_have_their_shapes() -> None:
    ids = Ids(1)
    assert uuid.UUID(ids.uuid()).version == 4
    assert len(ids.hex(32)) == 32 and int(ids.hex(32), 16) >= 0
    digits = ids.digits(10)
    assert len(digits) == 10 and digits.isdigit()
    assert 0 <= ids.random_fraction() < 1


def test_without_a_seed_the_base_is_random_and_kept() -> None:
    a, b = Ids(), Ids()
    assert a.seed is None and a.base != b.base
