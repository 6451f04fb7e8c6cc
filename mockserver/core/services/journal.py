"""The request journal: a bounded, fairly shared record of what clients sent and got, secrets masked."""

from __future__ import annotations

import json
import operator
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from multidict import CIMultiDict

from mockserver.core.services.masking import (
    MASK,
    mask_header,
    mask_headers,
    mask_query,
    mask_value,
    mentions_secret,
    names_sandbox,
)
from mockserver.core.services.shares import Shares

HEADERS = ("request_headers", "response_headers")
RESPONSE_KEPT = 4096  # bytes of a text answer the journal keeps
OCTETS = "application/octet-stream"  # the type of an answer without one
# an entry's fields in its summary (with its query): all but the headers and the bodies
SUMMARY = (
    "id",
    "at",
    "provider",
    "operation",
    "tenant",
    "method",
    "path",
    "status",
    "duration_ms",
    "scenario",
)
_summary_fields = operator.attrgetter(*SUMMARY)  # one tuple, made in C


@dataclass(slots=True)
class Entry:
    """One request, kept as references to what the request and its answer already hold: its headers and
    query as received, its answer's body as sent (a copy only of a long one); each masked, and the
    answer's body read as text or as a file, only when the entry is shown."""

    id: int
    at: float
    provider: str
    operation: str | None
    tenant: str | None
    method: str
    path: str
    query: Mapping[str, str]  # as received: `shown_query` masks it
    status: int
    duration_ms: float
    request_headers: Mapping[str, str]
    request_body: Any = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    scenario: str | None = None
    # the answer's bytes (up to RESPONSE_KEPT of them), or what file it was; None for a streamed one
    response_body: bytes | str | None = None

    def __getstate__(self) -> dict[str, Any]:
        """For a snapshot: the headers as plain pairs (a live request's are a view of it), credentials
        masked (a snapshot is on disk, as the write log is), the query and the answer as shown."""
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in HEADERS:
            state[name] = [(str(k), mask_header(str(k), str(v))) for k, v in state[name].items()]
        state["query"] = self.shown_query()
        state["response_body"] = self._kept_response()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in HEADERS:
            state[name] = CIMultiDict(state[name])
        for name, value in state.items():
            setattr(self, name, value)

    def shown_query(self) -> dict[str, str]:
        return _shown_query(self.query)

    def as_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["query"] = self.shown_query()
        data["request_headers"] = mask_headers(self.request_headers)
        data["response_headers"] = mask_headers(self.response_headers)
        data["response_body"] = self._shown_response()
        return data

    def summary(self) -> dict[str, Any]:
        """The entry without headers or bodies: what the event stream keeps of an older request."""
        return self.trimmed()()

    def trimmed(self) -> Trimmed:
        """What the stream's ring keeps of an older request until a reader asks (a third of the dict's
        memory: the ring holds thousands)."""
        return Trimmed(_summary_fields(self), self.query)

    def _kept_response(self) -> bytes | str | None:
        """The answer's body as the journal keeps it: the bytes of a text one (JSON, XML, CSV), the size
        and type of a file."""
        body = self.response_body
        return _text_or_file(body, self.response_headers) if isinstance(body, bytes) else body

    def _shown_response(self) -> Any:
        """The answer's body as the journal shows it: JSON with its secret fields masked (a token
        endpoint's tokens), text masked whole if it names a secret, a file by its size and type."""
        body = self._kept_response()
        if not isinstance(body, bytes):
            return body
        text = body.decode("utf-8", "replace")
        try:
            return mask_value(json.loads(text))
        except ValueError:
            return MASK if mentions_secret(text) else mask_value(text)


@dataclass(slots=True)
class Trimmed:
    """An entry's SUMMARY fields and its query; called, its summary as the stream shows it."""

    fields: tuple[Any, ...]
    query: Mapping[str, str]

    def __call__(self) -> dict[str, Any]:
        shown = dict(zip(SUMMARY, self.fields, strict=True))
        return shown | {"query": _shown_query(self.query), "trimmed": True}


def kept_response(body: Any, headers: Mapping[str, str]) -> bytes | str | None:
    """What an entry keeps of an answer's body: a reference to it, or for a long one its first
    RESPONSE_KEPT bytes (a text) or its size and type (a file); nothing of a streamed one."""
    if not isinstance(body, bytes) or not body:
        return None
    if len(body) <= RESPONSE_KEPT:
        return body  # read as text or as a file when shown: most answers are never shown
    return _text_or_file(body, headers)


def _text_or_file(body: bytes, headers: Mapping[str, str]) -> bytes | str:
    """A text answer (JSON, XML, CSV) as its first RESPONSE_KEPT bytes, a file as its size and type."""
    # the header as set (aiohttp's `content_type` parses it again on every read)
    kind = headers.get("Content-Type", OCTETS).partition(";")[0].strip().lower()
    if kind.startswith("text/") or kind.endswith(("json", "xml")):
        return body[:RESPONSE_KEPT]  # the same object when it is no longer
    return f"{len(body)} bytes of {kind}"


def _shown_query(query: Mapping[str, str]) -> dict[str, str]:
    return mask_query(query) if query else {}


class Journal:
    """Keeps `size` entries in all, shared out between sandboxes (`core/services/shares.py`): when it is
    full, the oldest entry of the sandbox that holds the most goes, so one sandbox's flood of requests
    pushes out its own history, never a quieter sandbox's. Memory stays bounded however long the mock
    runs."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._entries: dict[tuple[str, str | None], deque[Entry]] = {}  # by sandbox, oldest first
        self._shares: Shares[tuple[str, str | None]] = Shares()
        self._next_id = 1
        self.recorded: Callable[[Entry], None] = lambda entry: None  # the event stream's

    def next_id(self) -> int:
        ident = self._next_id
        self._next_id += 1
        return ident

    def record(self, entry: Entry) -> None:
        self._keep(entry)
        self.recorded(entry)

    def _keep(self, entry: Entry) -> None:
        sandbox = (entry.provider, entry.tenant)
        held = self._entries.get(sandbox)
        if held is None:
            held = self._entries[sandbox] = deque()
        held.append(entry)
        if self._shares.total >= self.size and self._shares.replaces(sandbox):
            held.popleft()  # full, and the sandbox holding the most is this one: its oldest goes
            return
        self._shares.add(sandbox)
        if self._shares.total > self.size:
            self._drop_oldest(self._shares.largest())

    def _drop_oldest(self, sandbox: Any) -> None:
        held = self._entries[sandbox]
        held.popleft()
        self._shares.remove(sandbox)
        if not held:
            del self._entries[sandbox]

    def _all(self) -> list[Entry]:
        """Every entry kept, oldest first."""
        entries = [e for held in self._entries.values() for e in held]
        entries.sort(key=lambda e: e.id)
        return entries

    def saved(self) -> tuple[list[Entry], int]:
        """What a snapshot keeps (see `core.snapshot`)."""
        return self._all(), self._next_id

    def put_back(self, saved: tuple[list[Entry], int]) -> None:
        entries, next_id = saved
        self.clear()
        for entry in entries:
            self._keep(entry)
        self._next_id = next_id

    def clear(self, provider: str | None = None, tenant: str | None = None) -> None:
        for sandbox in list(self._entries):
            if (provider is None or sandbox[0] == provider) and names_sandbox(tenant, sandbox[1]):
                for _ in range(len(self._entries[sandbox])):
                    self._drop_oldest(sandbox)

    def query(
        self,
        *,
        provider: str | None = None,
        operation: str | None = None,
        tenant: str | None = None,
        status: int | None = None,
        method: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        def keep(e: Entry) -> bool:
            return (
                (provider is None or e.provider == provider)
                and (operation is None or e.operation == operation)
                and names_sandbox(tenant, e.tenant)
                and (status is None or e.status == status)
                and (method is None or e.method == method.upper())
                and (since is None or e.at >= since)
                and (until is None or e.at <= until)
            )

        found: Iterable[Entry] = (e for e in reversed(self._all()) if keep(e))
        out = list(found)
        return out[:limit] if limit else out
