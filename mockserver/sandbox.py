"""A test's own sandboxes: one per provider, on one test clock, with credentials nobody else has.

    from mockserver.client import Client
    from mockserver.sandbox import Sandbox

    with Sandbox(Client("http://127.0.0.1:8080"), "tests/test_billing.py::test_partial_batch") as box:
        headers = box.headers("tuimprenta")       # {"Authorization": "Bearer ti_test_…"}: its own key
        ...                                        # the test's requests, with those headers
        box.clock.advance(60)                      # its clock only: the batch completes
        box.verify("tuimprenta", operation="createBatch", times=1)

The credentials are derived from the name (the pytest fixture gives the test's node id) and a salt of
the run, so two runs of one suite against one shared mock never meet. Every control goes through a
sandbox's own credential (`X-Mock-Provider`), so it needs no admin token and reaches no other sandbox.
The clock is one for every provider's sandbox when the mock takes control calls for the whole mock (in
process, or with its admin token); else one per provider, made when the test first asks for that
provider's credential (before its first request there) and moved together. It runs with the mock's
clock from the start, so a test that never touches it sees real time; `advance`, `set` and `freeze`
move it for this test alone. Closing deletes the clock with its sandboxes' state, journal and
controls (one call for each clock).

Standard library only, like the client.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import urllib.parse
from typing import Any

from mockserver.client import AdminCallFailed, Client, query_string

# what the mock's sandboxes accept: any user, client, token or key opens a sandbox of its own
HACIENDA_REALM = "rut-stag"
AVENIO_SCOPES = "boletas.emit boletas.cancel boletas.read"
TOKENS = ("hacienda", "avenio")  # the providers whose credential is a token got from their endpoint
# the mock refused this client a clock for several sandboxes (no admin token): one per provider then
EACH = "_mockserver_clock_per_provider"


class Sandbox:
    def __init__(self, client: Client, name: str, *, salt: str | None = None) -> None:
        self.client = client
        self.name = name
        digest = hashlib.sha256(f"{salt or secrets.token_hex(8)}\0{name}".encode()).hexdigest()
        self.credentials: dict[str, dict[str, str]] = {
            "hacienda": {
                "username": f"test-{digest[:24]}@stag.comprobanteselectronicos.go.cr",
                "password": f"clave-{digest[24:40]}",
            },
            "avenio": {"client_id": f"test-{digest[:24]}", "client_secret": f"secret-{digest[24:48]}"},
            "bsale": {"access_token": digest[:32]},
            "tupana": {"api_key": f"test_{digest[:32]}"},
            "tuimprenta": {"api_key": f"ti_test_{digest[:32]}"},
        }
        self.tenants = {
            "hacienda": f"{HACIENDA_REALM}/{self.credentials['hacienda']['username']}",
            "avenio": self.credentials["avenio"]["client_id"],
            "bsale": self.credentials["bsale"]["access_token"],
            "tupana": self.credentials["tupana"]["api_key"],
            "tuimprenta": self.credentials["tuimprenta"]["api_key"],
        }
        self.providers = tuple(p for p in client.providers if p in self.tenants)
        self._tokens: dict[str, str] = {}
        self.clock = SandboxClock(self)

    # --- credentials ----------------------------------------------------------------------------------

    def url(self, provider: str) -> str:
        """The provider's base URL, e.g. `http://127.0.0.1:8080/bsale`."""
        self._check(provider)
        return self.client.url(provider)

    def tenant(self, provider: str) -> str:
        """How control calls name this test's sandbox of `provider`."""
        self._check(provider)
        return self.tenants[provider]

    def headers(self, provider: str) -> dict[str, str]:
        """The headers a client of `provider` sends for this test's sandbox (for Hacienda and Avenio, a
        token got from their token endpoints, as a client would)."""
        self._check(provider)
        self.clock.ensure(provider)
        if provider in TOKENS:
            return {"Authorization": f"Bearer {self.token(provider)}"}
        return self._key_headers(provider)

    def _key_headers(self, provider: str) -> dict[str, str]:
        if provider == "bsale":
            return {"access_token": self.tenants["bsale"]}
        if provider == "tupana":
            return {"Authorization": f"Api-Key {self.tenants['tupana']}"}
        if provider == "tuimprenta":
            return {"Authorization": f"Bearer {self.tenants['tuimprenta']}"}
        raise KeyError(f"{provider}'s credential is a token (see token)")

    def token(self, provider: str) -> str:
        """A fresh access token of Hacienda's Keycloak or Avenio's OAuth for this test's user or client
        (issued on the test's clock: advance it past the lifetime and it expires)."""
        self._check(provider)
        self.clock.ensure(provider)  # first: a token is issued on the clock of the sandbox it opens
        return self._fetch_token(provider)

    def _fetch_token(self, provider: str) -> str:
        if provider == "hacienda":
            user = self.credentials["hacienda"]
            form = {"grant_type": "password", "client_id": "api-stag", **user}
            path = f"/hacienda/auth/realms/{HACIENDA_REALM}/protocol/openid-connect/token"
            token = str(self._post_form(path, form)["access_token"])
        elif provider == "avenio":
            client = self.credentials["avenio"]
            form = {"grant_type": "client_credentials", "scope": AVENIO_SCOPES, **client}
            token = str(self._post_form("/avenio/api/v1/connect/token", form)["data"]["accessToken"])
        else:
            raise KeyError(f"{provider} has no tokens: its credential is its key (see headers)")
        self._tokens[provider] = token
        return token

    # --- controls, each on this test's sandbox only -------------------------------------------------

    def admin(self, provider: str, method: str, path: str, body: Any = None) -> Any:
        """A control-plane call made with `provider`'s sandbox credential: it acts on this sandbox only."""
        self._check(provider)
        try:
            return self.client.admin(method, path, body, headers=self.control_headers(provider))
        except AdminCallFailed as refused:
            if provider not in TOKENS or refused.status != 401:
                raise
            self._fetch_token(provider)  # it expired on the test's clock: a new one, as a client would
            return self.client.admin(method, path, body, headers=self.control_headers(provider))

    def requests(self, provider: str, **filters: Any) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.admin(provider, "GET", f"/requests{query_string(**filters)}")[
            "requests"
        ]
        return entries

    def verify(self, provider: str, **criteria: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.admin(provider, "POST", "/verify", criteria)
        if not result.get("ok"):
            raise AssertionError(result.get("report") or f"no call matches {criteria!r}")
        return result

    def scenario(self, provider: str, **rule: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.admin(provider, "POST", "/scenarios", {"provider": provider, **rule})
        return result

    def lifecycle(self, provider: str, mode: str | None = None, **body: Any) -> dict[str, Any]:
        given = {"provider": provider, **body} | ({"mode": mode} if mode else {})
        result: dict[str, Any] = self.admin(provider, "POST", "/lifecycle", given)
        return result

    def trigger(self, provider: str, type: str, **body: Any) -> dict[str, Any]:
        """Send any event the provider documents (see `GET /__admin/events`) in this sandbox."""
        result: dict[str, Any] = self.admin(
            provider, "POST", "/events", {"provider": provider, "type": type, **body}
        )
        return result

    def deliveries(self, provider: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.admin(provider, "GET", "/webhooks")["deliveries"]
        return found

    def coverage(self, provider: str) -> dict[str, Any]:
        reports: list[dict[str, Any]] = self.admin(provider, "GET", f"/coverage?provider={provider}")[
            "reports"
        ]
        return reports[0]

    def close(self) -> None:
        """Forget what the test left: its clock goes with its sandboxes' state, journal and controls."""
        self.clock.delete(reset=True)

    def __enter__(self) -> Sandbox:
        self.clock.create()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------------------

    def _check(self, provider: str) -> None:
        if provider not in self.providers:
            raise KeyError(f"{provider!r} is not enabled; enabled: {', '.join(self.providers)}")

    def control_headers(self, provider: str) -> dict[str, str]:
        """The headers of a control-plane call made as this sandbox of `provider`."""
        if provider in TOKENS:
            token = self._tokens.get(provider) or self._fetch_token(provider)
            return {"X-Mock-Provider": provider, "Authorization": f"Bearer {token}"}
        return {"X-Mock-Provider": provider, **self._key_headers(provider)}

    def _post_form(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        kind = {"Content-Type": "application/x-www-form-urlencoded"}
        status, raw = self.client.send("POST", path, urllib.parse.urlencode(form).encode(), kind)
        if status >= 400:
            raise AdminCallFailed(f"mockserver POST {path} → {status}: {raw[:300]!r}", status)
        answer: dict[str, Any] = json.loads(raw)
        return answer


class SandboxClock:
    """The test's clock: one for all its sandboxes where the mock lets one call make it; else one per
    provider, each made (at the time the others show) when the test first asks for that provider's
    credential, and moved together. What falls due runs before each call returns."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._box = sandbox
        self._clocks: dict[str | None, str] = {}  # the provider whose credential made it (None: one for all)

    def create(self) -> None:
        box = self._box
        if getattr(box.client, EACH, False):
            return
        sandboxes = [{"provider": p, "tenant": box.tenants[p]} for p in box.providers]
        try:
            made = box.client.admin("POST", "/clocks", {**self._named(), "sandboxes": sandboxes})
        except AdminCallFailed as refused:
            # 401: no admin token; 421: a cluster, whose sandboxes live on several workers
            if refused.status not in (401, 421):
                raise
            setattr(box.client, EACH, True)  # asked once a run, not once a test
            return
        self._clocks[None] = made["id"]

    def ensure(self, provider: str) -> None:
        """Before the test's first request to `provider`: its sandbox is on the test's clock."""
        if None in self._clocks or provider in self._clocks or not getattr(self._box.client, EACH, False):
            return
        body, speed = self._named(), 1.0
        if self._clocks:  # the others' time, so they all read the same
            shown = self.now()
            body |= {"frozen_time": shown["epoch"], "frozen": shown["frozen"]}
            speed = shown["speed"]
        self._clocks[provider] = ident = self._box.admin(provider, "POST", "/clocks", body)["id"]
        if speed != 1.0:
            self._box.admin(provider, "POST", f"/clocks/{ident}", {"speed": speed})

    def _named(self) -> dict[str, Any]:
        return {"frozen": False, "name": self._box.name[-200:]}

    def now(self) -> dict[str, Any]:
        """`{"now", "epoch", "frozen", "speed", "sandboxes"}`."""
        return self._call("GET", None)[0]

    def advance(self, seconds: float) -> None:
        self._call("POST", {"advance": seconds})

    def set(self, when: str | float) -> None:
        """To an ISO 8601 time or epoch seconds (forwards or back)."""
        self._call("POST", {"set": when})

    def freeze(self) -> None:
        self._call("POST", {"freeze": True})

    def unfreeze(self) -> None:
        self._call("POST", {"freeze": False})

    def speed(self, factor: float) -> None:
        self._call("POST", {"speed": factor})

    def move(self, **change: Any) -> list[dict[str, Any]]:
        """Several moves in one call (`advance`, `set`, `freeze`, `speed`); the clocks as they are after."""
        return self._call("POST", change)

    def delete(self, *, reset: bool = False) -> None:
        """The clock goes (its sandboxes follow the mock's clock again); with `reset`, what they hold too.
        A clock already gone (a global reset in the test deletes every clock) is not an error."""
        query = "?reset=true" if reset else ""
        for provider, ident in list(self._clocks.items()):
            try:
                self._on(provider, "DELETE", f"/clocks/{ident}{query}")
            except AdminCallFailed as refused:
                if refused.status != 404:
                    raise
        self._clocks.clear()

    def _call(self, method: str, body: Any) -> list[dict[str, Any]]:
        if not self._clocks:  # one clock per provider, and none made yet
            box = self._box
            self.ensure(next((p for p in box.providers if p not in TOKENS), box.providers[0]))
        return [
            self._on(provider, method, f"/clocks/{ident}", body) for provider, ident in self._clocks.items()
        ]

    def _on(self, provider: str | None, method: str, path: str, body: Any = None) -> Any:
        """A call about a clock, with the credential that made it (None: for the whole mock)."""
        if provider is None:
            return self._box.client.admin(method, path, body)
        return self._box.admin(provider, method, path, body)
