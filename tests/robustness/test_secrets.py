"""Secrets stay secret: a live mock is driven with distinctive credentials on every provider, on good
and bad requests, and its log, its journal, every answer it gave, its export and its state file are
searched for them."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from mockserver.core.services.masking import tenant_label
from mockserver.providers.hacienda import sample
from tests.cli.process import free_ports, running
from tests.providers.avenio.conftest import emision

SECRETS = {
    "hacienda password": "hp-Secret-0001",
    "avenio client secret": "cs-Secret-0002",
    "avenio wrong client secret": "cs-Secret-0003",
    "passwordSII": "pw-Secret-0004",
    "tupana api key": "sandbox_Secret-0005",
    "tupana SII password": "sii-Secret-0006",
    "tupana webhook secret": "wh-Secret-0007",
    "tuimprenta api key": "ti-Secret-0008",
    "bsale access token": "bs-Secret-0009",
}


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.answers: list[str] = []  # every status line, header and body the mock sent back

    def call(self, method: str, path: str, body: Any = None, form: bool = False, **headers: str) -> Any:
        data = None
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            else:
                data = json.dumps(body).encode()
                headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, head, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, head, raw = error.code, error.headers, error.read()
        self.answers.append(f"{status} {dict(head.items())} {raw.decode('utf-8', 'replace')}")
        try:
            return json.loads(raw)
        except ValueError:
            return None


def drive(c: Client) -> None:
    # Hacienda: a login, a good and a bad submission
    tokens = c.call(
        "POST",
        "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token",
        {
            "grant_type": "password",
            "client_id": "api-stag",
            "username": "u",
            "password": SECRETS["hacienda password"],
        },
        form=True,
    )
    bearer = {"Authorization": f"bearer {tokens['access_token']}"}
    key = sample.load_signing_key(None, 0)
    c.call(
        "POST",
        "/hacienda/recepcion-sandbox/v1/recepcion",
        sample.body(sample.Sample(numero=9), key),
        **bearer,
    )
    c.call("POST", "/hacienda/recepcion-sandbox/v1/recepcion", {"clave": "x"}, **bearer)
    # Avenio: a client registers, emits, emits badly; another attempt with the wrong secret
    form = {
        "grant_type": "client_credentials",
        "client_id": "secretive",
        "client_secret": SECRETS["avenio client secret"],
    }
    access = c.call("POST", "/avenio/api/v1/connect/token", form, form=True)["data"]["accessToken"]
    c.call(
        "POST",
        "/avenio/api/v1/connect/token",
        {**form, "client_secret": SECRETS["avenio wrong client secret"]},
        form=True,
    )
    auth = {"Authorization": f"Bearer {access}"}
    body = emision(passwordSII=SECRETS["passwordSII"])
    c.call("POST", "/avenio/api/v1/bhe/emitir", body, **auth, **{"Idempotency-Key": str(uuid.uuid4())})
    bad = {**body, "rutUsuario": "not-a-rut", "passwordSII": 12345}
    c.call("POST", "/avenio/api/v1/bhe/emitir", bad, **auth, **{"Idempotency-Key": str(uuid.uuid4())})
    c.call(
        "POST",
        "/avenio/api/v1/bhe/emitir",
        {"passwordSII": SECRETS["passwordSII"]},
        **auth,
        **{"Idempotency-Key": "x"},
    )
    # Tu Pana: credential, webhook with a secret, a bad credential body
    tupana = {"Authorization": f"Api-Key {SECRETS['tupana api key']}"}
    c.call(
        "POST",
        "/tupana/v2/credentials/",
        {"rut": "76543210-3", "password": SECRETS["tupana SII password"]},
        **tupana,
    )
    c.call(
        "POST",
        "/tupana/v2/credentials/",
        {"rut": "bad", "password": SECRETS["tupana SII password"]},
        **tupana,
    )
    entity = c.call("GET", "/tupana/v2/master-entities/?rut=76543210-3", **tupana)
    hook = {
        "master_entity_id": entity["id"],
        "url": "https://example.com/h",
        "secret": SECRETS["tupana webhook secret"],
    }
    made = c.call("POST", "/tupana/v2/webhooks/", {**hook, "events": ["document.issued"]}, **tupana)
    c.call("GET", f"/tupana/v2/webhooks/{made['id']}/", **tupana)
    c.call("GET", "/tupana/v2/webhooks/", **tupana)
    # tuimprenta and Bsale: keys and tokens in headers, on good and bad requests
    ti = {"Authorization": f"Bearer {SECRETS['tuimprenta api key']}"}
    c.call("GET", "/tuimprenta/v1/invoices", **ti)
    c.call("POST", "/tuimprenta/v1/invoices", {"series": ""}, **ti)
    bsale = {"access_token": SECRETS["bsale access token"]}
    c.call("GET", "/bsale/v1/documents.json", **bsale)
    c.call("POST", "/bsale/v1/documents.json", {"documentTypeId": "x"}, **bsale)


# a webhook's signing secret is the mock's to keep: it signs the webhooks that are sent after a restart
KEPT_IN_STATE = {"tupana webhook secret"}


def test_no_secret_reaches_the_log_the_journal_any_answer_or_the_state(tmp_path: Path) -> None:
    port = free_ports()
    base = f"http://127.0.0.1:{port}"
    log, state = tmp_path / "log", tmp_path / "state.db"
    flags = ["--port", str(port), "--log-level", "debug", "--state-file", str(state)]
    with running(flags, log, health=f"{base}/__admin/health"):
        client = Client(base)
        drive(client)
        assert any(answer.startswith("201") for answer in client.answers)  # the good requests worked
        journal = client.call("GET", "/__admin/requests?limit=1000")
        assert journal["count"] >= 15
        export = client.call("GET", "/__admin/state")
        client.answers.pop()  # the export is searched as an export, below
        assert len(export["writes"]) >= 12  # every POST of `drive`
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*")).decode("latin-1")
    places = {
        "log": log.read_text(),
        "journal": json.dumps(journal),
        "answers": "\n".join(client.answers),
        "export": json.dumps(export),
        "state file": stored,
    }
    for place, text in places.items():
        for what, secret in SECRETS.items():
            if place in ("export", "state file") and what in KEPT_IN_STATE:
                continue
            assert secret not in text, f"{what} appears in the {place}"


async def test_sandboxes_named_by_a_key_show_its_digest_and_are_found_by_either(make_mock: Any) -> None:
    mock = await make_mock(providers=("bsale",))
    await mock.client.get("/bsale/v1/coins.json", headers={"access_token": "raw-token"})
    label = tenant_label("raw-token")
    for asked in ("raw-token", label):
        found = await (await mock.client.get(f"/__admin/requests?tenant={asked}")).json()
        assert [e["tenant"] for e in found["requests"]] == [label], asked
