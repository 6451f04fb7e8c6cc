"""The write log in SQLite: every acknowledged write, committed before its response is sent.

State is rebuilt by replaying the log (see `persistence`), so the log is the state: a file with
`--state-file` (WAL, synchronous=FULL: a `kill -9` loses nothing that was acknowledged), or by default
a temporary database that nothing outlives. Without a file nothing can read the database but this
class, so its writes are kept in memory and inserted `BATCH` at a time (one statement instead of one
per write, the log's largest cost on a create), and before anything reads the log.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS writes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT NOT NULL,
    at REAL NOT NULL,
    provider TEXT,
    method TEXT NOT NULL,
    target TEXT NOT NULL,
    base TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, state TEXT NOT NULL, attempts TEXT NOT NULL);
"""
INSERT_WRITE = (
    "INSERT INTO writes (token, at, provider, method, target, base, headers, body)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_NUMBERED = (
    "INSERT INTO writes (seq, token, at, provider, method, target, base, headers, body)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
BATCH = 64  # writes held in memory at most, without a state file


@dataclass(frozen=True)
class Write:
    """One request as it reached the mock: `target` is relative to the provider's mount (or /__admin/…)."""

    token: str  # reseeds the ids, so the replay makes the same ids
    at: float  # mock time when it arrived
    provider: str | None  # None: the control plane
    method: str
    target: str
    base: str | None  # scheme, host and mount the client used: URLs in state are built from it
    headers: list[tuple[str, str]]
    body: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "at": self.at,
            "provider": self.provider,
            "method": self.method,
            "target": self.target,
            "base": self.base,
            "headers": [list(h) for h in self.headers],
            "body": self.body.decode("latin-1"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Write:
        return cls(
            token=str(data["token"]),
            at=float(data["at"]),
            provider=data.get("provider"),
            method=str(data["method"]),
            target=str(data["target"]),
            base=data.get("base"),
            headers=[(str(k), str(v)) for k, v in data.get("headers", [])],
            body=str(data.get("body", "")).encode("latin-1"),
        )


class StateFileError(ValueError):
    """The state file cannot be used (not a state file, damaged, unwritable): start-up stops, untouched."""


class Store:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        # without a state file: the writes not inserted yet (each row with its number), the clock after them
        self._pending: list[tuple[Any, ...]] | None = None if path else []
        self._pending_clock: dict[str, Any] | None = None
        # without a state file: SQLite's private temporary database, on disk beyond a 2 MB page cache
        # and deleted when closed, so a long-lived mock's memory stays flat however many writes it logs
        try:
            self._db = sqlite3.connect(str(path) if path else "", isolation_level=None)
            if path:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                # a damaged file must stop the start, not replay part of the history as if it were all
                problems = [row[0] for row in self._db.execute("PRAGMA quick_check")]
                if problems != ["ok"]:
                    found = "; ".join(" ".join(str(p).split()) for p in problems[:2])
                    raise sqlite3.DatabaseError(f"the file is damaged ({found})")
            self._db.executescript(SCHEMA)
            row = self._db.execute("SELECT max(seq) FROM writes").fetchone()
            self.log_id = self.meta("log") or self._new_log()
        except sqlite3.Error as error:
            raise StateFileError(f"--state-file {path}: {error}; the file is left as it is") from None
        self.last_seq: int = row[0] or 0  # the newest write's number: snapshots name the last they include
        # the clock as the last write stored it (`Clock.state`): a write that leaves it so does not store
        # it again; None: the next write stores it whatever it is
        self._clock: dict[str, Any] | None = None

    def _new_log(self) -> str:
        """A new name for the log, whenever history is dropped: a snapshot of the old one no longer fits."""
        self.log_id = secrets.token_hex(8)
        self.set_meta("log", self.log_id)
        return self.log_id

    def close(self) -> None:
        self._db.close()  # without a file the database goes with it, and what waits in memory too

    def meta(self, key: str) -> Any:
        self._flush()
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        self._flush()
        encoded = json.dumps(value)
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, encoded))
        if key == "clock":
            self._clock = None

    def append(self, write: Write, clock: dict[str, Any]) -> None:
        """The write and the clock after it, in one transaction: both or neither survive a crash. The
        clock only changes when it is moved, so most writes are one INSERT, atomic on its own. Without a
        file the write waits in memory for the batch it goes in; when the batch cannot be inserted, this
        write is refused (the error raised) and the earlier ones wait for the next try."""
        row = (
            write.token,
            write.at,
            write.provider,
            write.method,
            write.target,
            write.base,
            json.dumps(write.headers),
            write.body,
        )
        pending = self._pending
        if pending is not None:
            pending.append((self.last_seq + 1, *row))
            if len(pending) >= BATCH:
                try:
                    self._flush(clock)
                except sqlite3.Error:
                    pending.pop()
                    raise
            else:
                self._pending_clock = clock
            self.last_seq += 1
            return
        if clock == self._clock:
            cursor = self._db.execute(INSERT_WRITE, row)
        else:
            with self._transaction():
                cursor = self._db.execute(INSERT_WRITE, row)
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('clock', ?)", (json.dumps(clock),))
            self._clock = dict(clock)
        self.last_seq = cursor.lastrowid or self.last_seq

    def _flush(self, clock: dict[str, Any] | None = None) -> None:
        """Insert the writes held in memory, in one transaction with the clock after the last of them."""
        pending, clock = self._pending, clock or self._pending_clock
        if not pending:
            return
        with self._transaction():
            self._db.executemany(INSERT_NUMBERED, pending)
            if clock is not None and clock != self._clock:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('clock', ?)", (json.dumps(clock),))
        if clock is not None:
            self._clock = dict(clock)
        pending.clear()
        self._pending_clock = None

    def writes(self, after: int = 0) -> list[Write]:
        """The writes in order; `after`: only those after that write (the last a snapshot includes)."""
        self._flush()
        rows = self._db.execute(
            "SELECT token, at, provider, method, target, base, headers, body FROM writes WHERE seq > ?"
            " ORDER BY seq",
            (after,),
        )
        return [
            Write(t, at, p, m, target, base, [(k, v) for k, v in json.loads(h)], bytes(body))
            for t, at, p, m, target, base, h, body in rows
        ]

    def count(self) -> int:
        self._flush()
        row = self._db.execute("SELECT count(*) FROM writes").fetchone()
        return int(row[0])

    def record_delivery(self, delivery_id: str, state: str, attempts: list[dict[str, Any]]) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO deliveries VALUES (?, ?, ?)",
                (delivery_id, state, json.dumps(attempts)),
            )

    def deliveries(self) -> dict[str, tuple[str, list[dict[str, Any]]]]:
        rows = self._db.execute("SELECT id, state, attempts FROM deliveries")
        return {i: (s, json.loads(a)) for i, s, a in rows}

    def forget_provider_writes(self) -> None:
        """Before a full reset is recorded: nothing provider writes did survives it, nor earlier resets;
        the control plane's settings (lifecycle modes, inboxes, the clock, a pause) do."""
        self._flush()
        with self._transaction():
            self._db.execute(
                "DELETE FROM writes WHERE provider IS NOT NULL OR target LIKE '/__admin/actions/%'"
                " OR target LIKE '/__admin/webhooks/%/replay' OR target = '/__admin/reset'"
            )
            self._db.execute("DELETE FROM deliveries")
            self._new_log()

    def clear(self) -> None:
        if self._pending:
            self._pending.clear()  # dropped with the rest, not inserted to be deleted
        with self._transaction():
            self._db.execute("DELETE FROM writes")
            self._db.execute("DELETE FROM deliveries")
            self._db.execute("DELETE FROM meta WHERE key = 'clock'")
            self._new_log()
        self._clock = self._pending_clock = None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
