"""The write log: with a state file every write is in the file when `append` returns; without one the
writes wait in memory for a batch, and whatever reads the log sees every write appended."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mockserver.core.services.store import BATCH, Store, Write

CLOCK = {"mock": 0.0, "real": 0.0, "frozen": False, "speed": 1.0}


def write(n: int) -> Write:
    return Write(f"t{n}", float(n), "tuimprenta", "POST", "/v1/invoices", None, [("X-N", str(n))], b"{}")


def in_database(store: Store) -> int:
    return int(store._db.execute("SELECT count(*) FROM writes").fetchone()[0])


def test_without_a_state_file_writes_are_inserted_a_batch_at_a_time_and_every_read_sees_them() -> None:
    store = Store()
    for n in range(BATCH - 1):
        store.append(write(n), CLOCK)
    assert in_database(store) == 0 and store.last_seq == BATCH - 1
    store.append(write(BATCH - 1), CLOCK)
    assert in_database(store) == BATCH  # the batch went in at once
    store.append(write(BATCH), CLOCK)
    assert in_database(store) == BATCH
    assert store.count() == BATCH + 1  # a read inserts what waits first
    assert [w.token for w in store.writes()] == [f"t{n}" for n in range(BATCH + 1)]
    assert [w.token for w in store.writes(after=BATCH)] == [f"t{BATCH}"]
    store.close()


def test_without_a_state_file_a_clear_drops_the_writes_waiting_in_memory_too() -> None:
    store = Store()
    for n in range(3):
        store.append(write(n), CLOCK)
    store.clear()
    assert store.count() == 0 and store.writes() == []
    store.append(write(7), CLOCK)
    assert [w.token for w in store.writes()] == ["t7"]


def test_without_a_state_file_the_clock_after_the_last_write_is_kept() -> None:
    store = Store()
    store.append(write(0), CLOCK)
    moved = {**CLOCK, "mock": 50.0}
    store.append(write(1), moved)
    assert store.meta("clock") == moved


def test_a_batch_the_log_cannot_take_refuses_the_write_that_filled_it_and_keeps_the_others() -> None:
    store = Store()
    full = "SELECT RAISE(ABORT, 'database or disk is full')"
    store._db.execute(f"CREATE TEMP TRIGGER full BEFORE INSERT ON writes BEGIN {full}; END")
    for n in range(BATCH - 1):
        store.append(write(n), CLOCK)
    with pytest.raises(sqlite3.Error, match="disk is full"):
        store.append(write(BATCH - 1), CLOCK)
    assert store.last_seq == BATCH - 1  # the refused write has no number
    store._db.execute("DROP TRIGGER full")
    store.append(write(99), CLOCK)
    kept = store.writes()
    assert [w.token for w in kept] == [*(f"t{n}" for n in range(BATCH - 1)), "t99"]
    numbers = [row[0] for row in store._db.execute("SELECT seq FROM writes ORDER BY seq")]
    assert numbers == list(range(1, BATCH + 1))


def test_with_a_state_file_each_write_is_in_the_file_when_append_returns(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.sqlite")
    store.append(write(0), CLOCK)
    reader = sqlite3.connect(tmp_path / "state.sqlite")
    assert reader.execute("SELECT token FROM writes").fetchall() == [("t0",)]
    assert store.last_seq == 1
    reader.close()
    store.close()
