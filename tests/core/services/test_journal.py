"""The request journal: bounded, newest first, filtered, secrets masked when shown."""

from __future__ import annotations

import pickle
import random
import sys
from collections import deque
from dataclasses import fields
from typing import Any

from multidict import MultiDict, MultiDictProxy

from mockserver.core.services.journal import RESPONSE_KEPT, SUMMARY, Entry, Journal, kept_response
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


def test_an_entry_refers_to_a_short_answer_and_reads_it_as_text_or_a_file_only_when_shown() -> None:
    journal = Journal()
    text, png = b'{"access_token": "t0k3n", "n": 1}', b"\x89PNG" + bytes(100)
    long_text, long_file = b"x" * (RESPONSE_KEPT + 10), bytes(RESPONSE_KEPT + 10)
    json_type = {"Content-Type": "application/json; charset=utf-8"}
    assert kept_response(text, json_type) is text  # no copy, no parse, when it is made
    assert kept_response(long_text, {"Content-Type": "text/csv"}) == long_text[:RESPONSE_KEPT]
    assert kept_response(long_file, {}) == f"{RESPONSE_KEPT + 10} bytes of application/octet-stream"
    shown = [
        _entry(journal, response_body=kept_response(body, kind), response_headers=kind).as_json()
        for body, kind in ((text, json_type), (png, {"Content-Type": "image/png"}))
    ]
    assert shown[0]["response_body"] == {"access_token": "***", "n": 1}
    assert shown[1]["response_body"] == "104 bytes of image/png"


def test_an_entry_keeps_its_query_as_received_and_masks_it_when_shown_or_snapshotted() -> None:
    journal = Journal()
    query = MultiDictProxy(MultiDict([("limit", "25"), ("access_token", "s3cret")]))
    entry = _entry(journal, query=query)
    assert entry.query is query
    assert entry.as_json()["query"] == entry.summary()["query"] == {"limit": "25", "access_token": "***"}
    again = pickle.loads(pickle.dumps(entry))
    assert again.query == {"limit": "25", "access_token": "***"} and "s3cret" not in repr(vars_of(again))


def vars_of(record: Any) -> dict[str, Any]:
    """A slotted record's fields (it has no `__dict__`)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def test_the_stream_keeps_an_older_request_as_a_small_record_that_makes_its_summary_when_read() -> None:
    journal = Journal()
    entry = _entry(journal, request_headers={"Authorization": "Bearer s3cret"}, response_body=b"{}")
    kept = entry.trimmed()
    assert not any(isinstance(v, bytes) or v is entry.request_headers for v in (*kept.fields, kept.query))
    assert kept() == entry.summary() and kept()["trimmed"] is True
    assert list(kept()) == [*SUMMARY, "query", "trimmed"]  # the order the stream has always shown
    # the ring holds thousands of them
    assert (sys.getsizeof(kept) + sys.getsizeof(kept.fields)) * 2 < sys.getsizeof(entry.summary())
