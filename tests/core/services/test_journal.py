"""The request journal: bounded, newest first, filtered, secrets masked when shown."""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from mockserver.core.services.journal import Entry, Journal
from mockserver.core.services.masking import tenant_label
from mockserver.core.services.shares import Shares


def _entry(journal: Journal, **fields: Any) -> Entry:
    base: dict[str, Any] = {
        "id": journal.next_id(),
        "at": 100.0,
        "provider": "bsale",
        "operation": "getDocument",
        "tenant": None,
        "method": "GET",
        "path": "/bsale/v1/documents/1.json",
        "query": {},
        "status": 200,
        "duration_ms": 1.0,
        "request_headers": {},
    }
    base.update(fields)
    entry = Entry(**base)
    journal.record(entry)
    return entry


def test_the_journal_keeps_only_the_last_entries() -> None:
    journal = Journal(size=3)
    for n in range(5):
        _entry(journal, at=float(n))
    assert [e.at for e in journal.query()] == [4.0, 3.0, 2.0]


def test_query_filters_combine_and_limit_counts_from_the_newest() -> None:
    journal = Journal()
    _entry(journal, status=201, method="POST", at=1.0)
    _entry(journal, status=404, at=2.0)
    _entry(journal, provider="avenio", status=404, at=3.0)
    assert [e.at for e in journal.query(status=404)] == [3.0, 2.0]
    assert [e.at for e in journal.query(provider="bsale", status=404)] == [2.0]
    assert [e.at for e in journal.query(method="post")] == [1.0]
    assert [e.at for e in journal.query(since=2.0, until=2.5)] == [2.0]
    assert [e.at for e in journal.query(limit=1)] == [3.0]


def test_a_key_or_its_label_names_the_sandbox_it_opened() -> None:
    journal = Journal()
    label = tenant_label("victim-key")
    _entry(journal, tenant=label)
    _entry(journal, tenant=tenant_label("other"))
    assert len(journal.query(tenant="victim-key")) == len(journal.query(tenant=label)) == 1
    journal.clear(tenant="victim-key")
    assert [e.tenant for e in journal.query()] == [tenant_label("other")]


def test_shown_entries_mask_credentials_in_headers() -> None:
    journal = Journal()
    entry = _entry(journal, request_headers={"Authorization": "Bearer s3cret", "Accept": "*/*"})
    shown = entry.as_json()
    assert shown["request_headers"] == {"Authorization": "Bearer ***", "Accept": "*/*"}
    assert "s3cret" not in str(shown)


def test_a_full_journal_keeps_what_the_max_min_rule_keeps_whichever_sandbox_writes() -> None:
    """The journal's shortcut (a full journal whose largest holder writes drops that holder's oldest
    without recounting) keeps exactly what adding, then dropping the largest holder's oldest, keeps."""
    rng = random.Random(7)
    journal = Journal(size=20)
    shares: Shares[str | None] = Shares()
    kept: dict[str | None, deque[int]] = {}
    for _ in range(3000):
        tenant = rng.choice([None, "a", "a", "a", "b", "c"])
        entry = _entry(journal, tenant=tenant)
        kept.setdefault(tenant, deque()).append(entry.id)
        shares.add(tenant)
        if shares.total > 20:
            largest = shares.largest()
            kept[largest].popleft()
            shares.remove(largest)
        assert sorted(e.id for e in journal.query()) == sorted(i for ids in kept.values() for i in ids)
