"""The request journal: a bounded ring buffer of what clients sent and got, secrets masked."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from multidict import CIMultiDict

from mockserver.core.services.masking import (
    MASK,
    mask_header,
    mask_headers,
    mask_value,
    mentions_secret,
    names_sandbox,
)

HEADERS = ("request_headers", "response_headers")
RESPONSE_KEPT = 4096  # bytes of a text answer the journal keeps


@dataclass
class Entry:
    """One request; its headers and query are kept as received and masked only when shown."""

    id: int
    at: float
    provider: str
    operation: str | None
    tenant: str | None
    method: str
    path: str
    query: Mapping[str, str]
    status: int
    duration_ms: float
    request_headers: Mapping[str, str]
    request_body: Any = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    scenario: str | None = None
    response_body: bytes | str | None = None  # its first RESPONSE_KEPT bytes, or what file it was

    def __getstate__(self) -> dict[str, Any]:
        """For a snapshot: the headers as plain pairs (a live request's are a view of it), credentials
        masked (a snapshot is on disk, as the write log is)."""
        state = dict(vars(self))
        for name in HEADERS:
            state[name] = [(str(k), mask_header(str(k), str(v))) for k, v in state[name].items()]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in HEADERS:
            state[name] = CIMultiDict(state[name])
        vars(self).update(state)

    def as_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["query"] = dict(self.query)
        data["request_headers"] = mask_headers(self.request_headers)
        data["response_headers"] = mask_headers(self.response_headers)
        data["response_body"] = self._shown_response()
        return data

    def _shown_response(self) -> Any:
        """The answer's body as the journal shows it: JSON with its secret fields masked (a token
        endpoint's tokens), text masked whole if it names a secret, a file by its size and type."""
        body = self.response_body
        if not isinstance(body, bytes):
            return body
        text = body.decode("utf-8", "replace")
        try:
            return mask_value(json.loads(text))
        except ValueError:
            return MASK if mentions_secret(text) else mask_value(text)


class Journal:
    """Keeps the last `size` entries; memory stays bounded however long the mock runs."""

    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[Entry] = deque(maxlen=size)
        self._next_id = 1
        self.recorded: Callable[[Entry], None] = lambda entry: None  # the event stream's

    def next_id(self) -> int:
        ident = self._next_id
        self._next_id += 1
        return ident

    def record(self, entry: Entry) -> None:
        self._entries.append(entry)
        self.recorded(entry)

    def saved(self) -> tuple[list[Entry], int]:
        """What a snapshot keeps (see `core.snapshot`)."""
        return list(self._entries), self._next_id

    def put_back(self, saved: tuple[list[Entry], int]) -> None:
        entries, self._next_id = saved
        self._entries = deque(entries, maxlen=self._entries.maxlen)

    def clear(self, provider: str | None = None, tenant: str | None = None) -> None:
        kept = [
            e
            for e in self._entries
            if not ((provider is None or e.provider == provider) and names_sandbox(tenant, e.tenant))
        ]
        self._entries.clear()
        self._entries.extend(kept)

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

        found: Iterable[Entry] = (e for e in reversed(self._entries) if keep(e))
        out = list(found)
        return out[:limit] if limit else out
