"""A client for a running mock's control plane, with nothing but the standard library.

    from mockserver.client import Client

    mock = Client("http://127.0.0.1:8080")          # a local mock, the CI service container, a demo
    mock.scenario("tupana", operation="createBatch", status=503, times=1)
    ...
    mock.verify(operation="createBatch", times=2)    # raises AssertionError with the near-miss report
    mock.clock.advance(5)

The pytest fixture `mockserver` is one of these, bound to the mock it started or attached to.

Through a cluster's balancer (`mockserver cluster`), a call with the admin token acts on the whole
cluster where that can be merged (health, reset, the journal, coverage, deliveries, scenario rules
listed or cleared, inboxes: `health()["workers"]` names the workers) and is refused otherwise with
`AdminCallFailed` of status 421, whose message says how to reach one worker: `Client(url, worker="w2")`
sends every call to that worker. A sandbox's own credential reaches its worker by itself.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
import weakref
from typing import Any


class AdminCallFailed(AssertionError):
    """The control plane refused a call (a typo in a provider, an operation, a scenario…): its answer,
    and its status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Client:
    """A running mock: provider URLs and the control plane, as plain method calls."""

    def __init__(
        self,
        base_url: str,
        providers: tuple[str, ...] | None = None,
        *,
        timeout: float = 30,
        admin_token: str | None = None,
        worker: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.worker = worker  # behind a cluster's balancer: the one worker every call goes to
        self.timeout = timeout
        self.admin_token = admin_token  # what a mock beyond loopback asks for (--admin-token)
        self._prefix = urllib.parse.urlsplit(self.base_url).path  # a mock behind a path prefix
        self._local = threading.local()  # a kept-alive connection per thread
        self._connections: list[http.client.HTTPConnection] = []
        weakref.finalize(self, _close_all, self._connections)  # a dropped client leaves no socket open
        self.providers = providers if providers is not None else tuple(self.health()["providers"])
        self.clock = Clock(self)

    def url(self, provider: str) -> str:
        """The provider's base URL under its mount, e.g. `http://127.0.0.1:8080/hacienda`."""
        if provider not in self.providers:
            raise KeyError(f"{provider!r} is not enabled; enabled: {', '.join(self.providers)}")
        return f"{self.base_url}/{provider}"

    @property
    def urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in self.providers}

    def admin(
        self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None
    ) -> Any:
        """One control-plane call; its JSON answer. A refusal raises `AdminCallFailed` with the reason.
        `headers`: a sandbox's own credential (with `X-Mock-Provider`) instead of the admin token."""
        data = json.dumps(body).encode() if body is not None else None
        if headers is None:
            headers = self.admin_headers()
        sent = {"Content-Type": "application/json", **headers}
        if self.worker:
            sent["X-Mock-Worker"] = self.worker
        status, raw = self.send(method, f"/__admin{path}", data, sent)
        payload = json.loads(raw or b"null")
        if status < 400 or (status == 422 and path == "/verify"):  # a failed verification is an answer
            return payload
        reason = payload.get("error") if isinstance(payload, dict) else payload
        raise AdminCallFailed(f"mockserver {method} /__admin{path} → {status}: {reason}", status)

    def admin_headers(self) -> dict[str, str]:
        """What a control-plane call made for the whole mock sends: the admin token, if any."""
        return {"X-Mock-Admin-Token": self.admin_token} if self.admin_token else {}

    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        """One request to the mock on this thread's kept-alive connection: its status and body."""
        status, raw, _ = self.exchange(method, path, body, headers)
        return status, raw

    def exchange(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        """`send`, with the answer's headers too. A connection the mock closed while it was idle is
        opened again, once."""
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, self._prefix + path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read(), dict(response.getheaders())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._drop(connection)
                if attempt == 2:
                    raise
            except OSError:
                self._drop(connection)
                raise
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            parts = urllib.parse.urlsplit(self.base_url)
            kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            connection = self._local.connection = kind(parts.netloc, timeout=self.timeout)
            self._connections.append(connection)
        return connection

    def close(self) -> None:
        """Close the connections kept alive (a later call opens one again)."""
        _close_all(self._connections)
        self._local = threading.local()

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        self._local.connection = None

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "/health")
        return result

    def reset(self, provider: str | None = None, tenant: str | None = None) -> None:
        """Forget state: everything, one provider's, or one sandbox's (`tenant`: its key or its label)."""
        self.admin("POST", "/reset", {"provider": provider, "tenant": tenant})

    def reset_controls(self) -> None:
        """Back to defaults: no scenario rules, default lifecycle modes, deliveries running, empty inboxes."""
        self.admin("POST", "/reset/controls", {})

    def scenario(self, provider: str, **rule: Any) -> dict[str, Any]:
        """Add a fault rule, e.g. `scenario("tupana", operation="createBatch", status=503, times=1)`."""
        result: dict[str, Any] = self.admin("POST", "/scenarios", {"provider": provider, **rule})
        return result

    def lifecycle(
        self,
        provider: str,
        mode: str | None = None,
        *,
        kind: str | None = None,
        advance: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"provider": provider, "kind": kind, "advance": advance, **extra}
        if mode:
            body["mode"] = mode
        result: dict[str, Any] = self.admin("POST", "/lifecycle", body)
        return result

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The journal, newest first: `requests(provider="bsale", operation="createDocument", status=201)`."""
        entries: list[dict[str, Any]] = self.admin("GET", f"/requests{query_string(**filters)}")["requests"]
        return entries

    def verify(self, **criteria: Any) -> dict[str, Any]:
        """`verify(operation="emitirBoleta", times=1, body={...})`: the match when the journal holds the
        calls described; otherwise AssertionError carrying the near-miss report."""
        result: dict[str, Any] = self.admin("POST", "/verify", criteria)
        if not result.get("ok"):
            raise AssertionError(result.get("report") or f"no call matches {criteria!r}")
        return result

    def inbox_url(self, name: str) -> str:
        return f"{self.base_url}/__admin/inbox/{urllib.parse.quote(name, safe='')}"

    def inbox(self, name: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.admin("GET", f"/inbox/{urllib.parse.quote(name, safe='')}")[
            "messages"
        ]
        return messages

    def deliveries(self, provider: str | None = None) -> list[dict[str, Any]]:
        query = f"?provider={urllib.parse.quote(provider)}" if provider else ""
        found: list[dict[str, Any]] = self.admin("GET", f"/webhooks{query}")["deliveries"]
        return found

    def action(self, provider: str, name: str, **body: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("POST", f"/actions/{provider}/{name}", body)
        return result

    def coverage(self, provider: str | None = None, tenant: str | None = None) -> list[dict[str, Any]]:
        """What the traffic so far reached of each provider's spec (see `GET /__admin/coverage`)."""
        given = {k: v for k, v in (("provider", provider), ("tenant", tenant)) if v}
        query = f"?{urllib.parse.urlencode(given)}" if given else ""
        found: list[dict[str, Any]] = self.admin("GET", f"/coverage{query}")["reports"]
        return found


def query_string(**filters: Any) -> str:
    """`?a=1&b=2` of the filters that are given (None: not given); empty when none is."""
    kept = {k: v for k, v in filters.items() if v is not None}
    return f"?{urllib.parse.urlencode(kept)}" if kept else ""


def _close_all(connections: list[http.client.HTTPConnection]) -> None:
    for connection in connections:
        connection.close()
    connections.clear()


class Clock:
    """The mock clock: what falls due when it moves (lifecycles, retries, expiries) happens before the
    call returns."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def now(self) -> dict[str, Any]:
        result: dict[str, Any] = self._client.admin("GET", "/clock")
        return result

    def freeze(self) -> None:
        self._client.admin("POST", "/clock", {"freeze": True})

    def unfreeze(self) -> None:
        self._client.admin("POST", "/clock", {"freeze": False})

    def advance(self, seconds: float) -> None:
        self._client.admin("POST", "/clock", {"advance": seconds})

    def set(self, when: str | float) -> None:
        self._client.admin("POST", "/clock", {"set": when})

    def speed(self, factor: float) -> None:
        self._client.admin("POST", "/clock", {"speed": factor})
