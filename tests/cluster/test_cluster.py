"""Three workers behind the generated HAProxy config: a sandbox lives on one worker for every request
(its token, its calls, its controls, every link it was given and the deliveries to the demo inbox), a
worker killed outright costs its sandboxes 503s in their provider's envelope and nothing else, and the
control plane either acts on the whole cluster or says how to reach one worker."""

from __future__ import annotations

import base64
import subprocess
import threading
import time
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from mockserver.client import Client
from mockserver.core.services.keys import load_signing_key
from mockserver.providers.hacienda import sample
from mockserver.sandbox import Sandbox
from tests.cluster.conftest import ADMIN_TOKEN, Cluster, admin, generated_config, haproxy_or_skip

pytest_plugins = ["pytester"]

BOLETA = {"documentTypeId": 1, "officeId": 1, "details": [{"netUnitValue": 1000, "quantity": 1}]}
INVOICE = {
    "series": "A",
    "customer": {"name": "C", "tax_id": "J-12345678-4"},
    "items": [{"description": "x", "qty": 1, "unit_price": 10.0}],
}
TUPANA_DOCUMENT = {
    "dte_type": {"code": "33"},
    "document_issuer": {"rut": "76543210-3"},
    "document_receiver": {"rut": "76369187-K"},
    "details": [{"item_name": "Desarrollo de software", "quantity": 2, "unit_price": 10000}],
}


def links(answer: Any) -> list[str]:
    """Every absolute URL in a JSON answer."""
    if isinstance(answer, dict):
        return [url for value in answer.values() for url in links(value)]
    if isinstance(answer, list):
        return [url for value in answer for url in links(value)]
    return [answer] if isinstance(answer, str) and answer.startswith("http") else []


class Seen:
    """Which worker answered each request of one sandbox."""

    def __init__(self) -> None:
        self.workers: list[tuple[str, str]] = []

    def __call__(self, response: httpx.Response) -> httpx.Response:
        self.workers.append(
            (f"{response.request.method} {response.request.url.path}", response.headers["X-Mock-Worker"])
        )
        return response

    def one(self) -> str:
        assert len({w for _, w in self.workers}) == 1, self.workers
        return self.workers[0][1]

    def follow(self, urls: list[str]) -> None:
        """Each link as a client would open it, without a credential: the link alone must route it."""
        assert urls
        for url in urls:
            assert "/__shard/" in url, url
            self(httpx.get(url))


def chile_today(now: str) -> str:
    """The clock's date in Santiago, the day Avenio checks fechaEmision against (UTC runs ahead of it)."""
    return datetime.fromisoformat(now).astimezone(ZoneInfo("America/Santiago")).date().isoformat()


def emision(today: str) -> dict[str, Any]:
    return {
        "fechaEmision": today,
        "rutUsuario": "11111111-1",
        "passwordSII": "clave-sii-prueba",
        "esClaveUnica": False,
        "retencion": "receptor",
        "emisor": {"direccion": "Av. Demo 123"},
        "receptor": {
            "rut": "22222222-2",
            "nombre": "C",
            "direccion": "Calle 1",
            "region": 13,
            "comuna": 13114,
        },
        "prestaciones": [{"detalle": "Servicio", "valor": 500000}],
    }


def inbox_delivery(box: Sandbox, provider: str, seen: Seen) -> None:
    """An event sent to the demo inbox through the balancer is filed on the sandbox's worker."""
    catalogue = box.admin(provider, "GET", "/events")
    kind = next(e["type"] for e in catalogue["events"] if e["provider"] == provider)
    name = f"inbox-{provider}-{uuid.uuid4().hex[:8]}"
    box.trigger(provider, kind, url=box.client.inbox_url(name))
    headers = box.control_headers(provider)
    deadline = time.monotonic() + 10
    while True:
        answer = seen(httpx.get(box.client.inbox_url(name), headers=headers))
        if answer.json()["count"]:
            return
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.05)


def test_the_generated_config_passes_haproxy_check(tmp_path: Any) -> None:
    haproxy = haproxy_or_skip()
    config = tmp_path / "haproxy.cfg"
    config.write_text(generated_config({"a": 9001, "b": 9002}, 8080))
    checked = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_a_sandbox_of_each_provider_lands_on_one_worker_for_every_request(cluster: Cluster) -> None:
    client = Client(cluster.url, ("hacienda", "avenio", "bsale", "tupana", "tuimprenta"))
    box = Sandbox(client, "every-request", salt="cluster")
    box.clock.create()  # as the fixture does: refused for the whole cluster, so one per provider
    landed = {}

    seen = Seen()  # Bsale: its documents, their files and public links, its controls
    headers = box.headers("bsale")
    document = seen(httpx.post(box.url("bsale") + "/v1/documents.json", json=BOLETA, headers=headers)).json()
    seen(httpx.get(box.url("bsale") + "/v1/documents.json", headers=headers))
    seen(httpx.get(cluster.url + "/__admin/requests", headers=box.control_headers("bsale")))
    seen.follow(links(document))
    inbox_delivery(box, "bsale", seen)
    landed["bsale"] = seen.one()

    seen = Seen()  # Hacienda: the password form, the bearer token, the refresh and logout forms
    user = box.credentials["hacienda"]
    idp = box.url("hacienda") + "/auth/realms/rut-stag/protocol/openid-connect"
    form = {"grant_type": "password", "client_id": "api-stag", "username": user["username"].upper()}
    tokens = seen(httpx.post(idp + "/token", data={**form, "password": user["password"]})).json()
    bearer = {"Authorization": f"bearer {tokens['access_token']}"}
    doc = sample.Sample(numero=4242)
    body = sample.body(doc, load_signing_key(None, time.time()))
    sent = seen(
        httpx.post(box.url("hacienda") + "/recepcion-sandbox/v1/recepcion", json=body, headers=bearer)
    )
    assert sent.status_code == 201, sent.text
    seen(httpx.get(box.url("hacienda") + "/recepcion-sandbox/v1/comprobantes", headers=bearer))
    refresh = {"client_id": "api-stag", "refresh_token": tokens["refresh_token"]}
    assert (
        seen(httpx.post(idp + "/token", data={**refresh, "grant_type": "refresh_token"})).status_code == 200
    )
    assert seen(httpx.post(idp + "/logout", data=refresh)).status_code == 204
    seen.follow([sent.headers["Location"]])
    inbox_delivery(box, "hacienda", seen)
    landed["hacienda"] = seen.one()

    seen = Seen()  # Avenio: Basic client credentials, both headers, statusUrl and the signed files
    box.clock.ensure("avenio")  # its sandbox on the test's clock before its first request, as headers() does
    client_id, secret = box.credentials["avenio"]["client_id"], box.credentials["avenio"]["client_secret"]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    token = seen(
        httpx.post(
            box.url("avenio") + "/api/v1/connect/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
    ).json()["data"]["accessToken"]
    emitted = seen(
        httpx.post(
            box.url("avenio") + "/api/v1/bhe/emitir",
            json=emision(chile_today(box.clock.now()["now"])),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        )
    ).json()
    assert "data" in emitted, emitted
    box.clock.advance(60)
    status_url = emitted["data"]["statusUrl"]
    done = seen(httpx.get(status_url, headers={"X-Avenio-Authorization": token})).json()
    assert done["data"]["status"] == "completed", done
    seen.follow([status_url, *links(done["data"]["result"])])
    inbox_delivery(box, "avenio", seen)
    landed["avenio"] = seen.one()

    seen = Seen()  # Tu Pana: credentials, a batch, its documents' presigned files
    headers, v2 = box.headers("tupana"), box.url("tupana") + "/v2"
    rut = TUPANA_DOCUMENT["document_issuer"]["rut"]
    seen(httpx.post(v2 + "/credentials/", json={"rut": rut, "password": "clave-sii"}, headers=headers))
    entity = seen(httpx.get(v2 + "/master-entities/", params={"rut": rut}, headers=headers)).json()
    batch = seen(
        httpx.post(
            v2 + "/documents/batch/",
            json={"documents": [TUPANA_DOCUMENT]},
            headers={**headers, "Idempotency-Key": str(uuid.uuid4()), "X-Use-Defaults": "true"},
        )
    ).json()
    box.clock.advance(60)
    seen(httpx.get(f"{v2}/documents/batch/{batch.get('id') or batch['batch_id']}/", headers=headers))
    listed = seen(httpx.get(v2 + "/documents/", params={"master_entity_id": entity["id"]}, headers=headers))
    seen.follow(links(listed.json()["data"]))
    inbox_delivery(box, "tupana", seen)
    landed["tupana"] = seen.one()

    seen = Seen()  # tuimprenta: an invoice's files, a batch's result
    headers, v1 = box.headers("tuimprenta"), box.url("tuimprenta") + "/v1"
    invoice = seen(httpx.post(v1 + "/invoices", json=INVOICE, headers=headers)).json()
    made = seen(
        httpx.post(v1 + "/batches", json={"type": "invoice.create", "payload": [INVOICE]}, headers=headers)
    ).json()
    box.clock.advance(120)
    batch = seen(httpx.get(f"{v1}/batches/{made['id']}", headers=headers)).json()
    seen.follow(links(invoice) + links(batch))
    inbox_delivery(box, "tuimprenta", seen)
    landed["tuimprenta"] = seen.one()

    box.clock.delete(reset=True)
    box.close()
    assert set(landed.values()) <= set(cluster.ports)


def test_sandboxes_spread_over_every_worker(cluster: Cluster) -> None:
    workers = {
        httpx.get(cluster.url + "/bsale/v1/documents.json", headers={"access_token": f"spread-{n}"}).headers[
            "X-Mock-Worker"
        ]
        for n in range(40)
    }
    assert workers == set(cluster.ports)


def test_whole_cluster_calls_act_on_every_worker_and_merge_their_answers(cluster: Cluster) -> None:
    health = httpx.get(cluster.url + "/__admin/health", headers=admin()).json()
    assert health["status"] == "ok"
    assert sorted(health["workers"]) == sorted(cluster.ports)
    keys = [f"merge-{n}" for n in range(12)]
    for key in keys:
        made = httpx.post(
            cluster.url + "/bsale/v1/documents.json", json=BOLETA, headers={"access_token": key}
        )
        assert made.status_code == 201
    journal = httpx.get(
        cluster.url + "/__admin/requests", params={"provider": "bsale"}, headers=admin()
    ).json()
    assert {entry["worker"] for entry in journal["requests"]} == set(cluster.ports)
    assert journal["count"] == len(journal["requests"])
    times = [entry["at"] for entry in journal["requests"]]
    assert times == sorted(times, reverse=True)  # one journal, newest first
    reset = httpx.post(cluster.url + "/__admin/reset", json={"provider": "bsale"}, headers=admin())
    assert reset.status_code == 200 and reset.json()["workers"] == sorted(cluster.ports)
    for key in keys:
        listed = httpx.get(cluster.url + "/bsale/v1/documents.json", headers={"access_token": key}).json()
        assert listed["count"] == 0


def test_a_call_that_acts_on_one_worker_is_refused_with_how_to_reach_one(cluster: Cluster) -> None:
    refused = httpx.get(cluster.url + "/__admin/clock", headers=admin())
    assert refused.status_code == 421
    assert "X-Mock-Worker" in refused.json()["error"]
    assert refused.json()["workers"] == sorted(cluster.ports)
    pinned = httpx.get(cluster.url + "/__admin/clock", headers={**admin(), "X-Mock-Worker": "w2"})
    assert pinned.status_code == 200 and pinned.headers["X-Mock-Worker"] == "w2"
    direct = httpx.get(cluster.worker_url("w3") + "/__admin/clock", headers=admin())
    assert direct.status_code == 200  # a worker asked directly answers for itself


def test_the_mockserver_sandbox_suite_runs_in_parallel_through_the_balancer(
    cluster: Cluster, pytester: pytest.Pytester
) -> None:
    from tests.plugin.test_sandbox_fixture import run_user_suite

    result = run_user_suite(pytester, "--mockserver-url", cluster.url)
    result.assert_outcomes(passed=20)


def _on(cluster: Cluster, worker: str, make: Any) -> Any:
    """The first of make(0), make(1), … whose sandbox the balancer sends to `worker`."""
    for n in range(200):
        candidate = make(n)
        if candidate[0]().headers["X-Mock-Worker"] == worker:
            return candidate
    raise AssertionError(f"no sandbox landed on {worker}")


def test_a_worker_killed_outright_costs_its_sandboxes_503s_and_loses_no_acknowledged_write(
    cluster: Cluster,
) -> None:
    victim = "w2"
    url = cluster.url

    def bsale(n: int, prefix: str = "kill") -> Any:
        headers = {"access_token": f"{prefix}-{n}"}
        return (lambda: httpx.get(url + "/bsale/v1/documents.json", headers=headers), headers)

    def tupana(n: int) -> Any:
        headers = {"Authorization": f"Api-Key kill_{n}"}
        return (lambda: httpx.get(url + "/tupana/v2/credentials/", headers=headers), headers)

    def tuimprenta(n: int) -> Any:
        headers = {"Authorization": f"Bearer kill-{n}"}
        return (lambda: httpx.get(url + "/tuimprenta/v1/invoices", headers=headers), headers)

    def avenio(n: int) -> Any:
        form = {"grant_type": "client_credentials", "client_id": f"kill-{n}", "client_secret": "s"}
        return (lambda: httpx.post(url + "/avenio/api/v1/connect/token", data=form), form)

    def hacienda(n: int) -> Any:
        form = {"grant_type": "password", "client_id": "api-stag", "username": f"kill-{n}", "password": "x"}
        return (
            lambda: httpx.post(
                url + "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token", data=form
            ),
            form,
        )

    probes = {
        p: _on(cluster, victim, make)[0]
        for p, make in {
            "bsale": bsale,
            "tupana": tupana,
            "tuimprenta": tuimprenta,
            "avenio": avenio,
            "hacienda": hacienda,
        }.items()
    }
    writers = [bsale(n, "writer") for n in range(12)]
    on_victim = {n for n, (get, _) in enumerate(writers) if get().headers["X-Mock-Worker"] == victim}
    assert on_victim and len(on_victim) < len(writers)
    acknowledged: dict[int, list[int]] = {n: [] for n in range(len(writers))}
    failures: dict[int, list[httpx.Response]] = {n: [] for n in range(len(writers))}
    dropped = dict.fromkeys(range(len(writers)), 0)
    stop = threading.Event()

    def write(n: int) -> None:
        headers = writers[n][1]
        with httpx.Client(timeout=30) as session:
            while not stop.is_set():
                try:
                    answer = session.post(url + "/bsale/v1/documents.json", json=BOLETA, headers=headers)
                except httpx.TransportError:  # the one in flight when its worker died: no answer
                    dropped[n] += 1
                    continue
                if answer.status_code == 201:
                    acknowledged[n].append(answer.json()["id"])
                else:
                    failures[n].append(answer)
                time.sleep(0.02)  # a client's pace: the point is the writes around the kill, not load

    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(writers))]
    for thread in threads:
        thread.start()
    time.sleep(1)
    cluster.kill(victim)
    try:
        down = {provider: probe() for provider, probe in probes.items()}
        time.sleep(1.5)
    finally:
        cluster.start(victim)
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join(60)

    for provider, answer in down.items():
        assert answer.status_code == 503, (provider, answer.text)
        assert answer.headers["Retry-After"] == "5"
    assert down["bsale"].json() == {"error": "The worker holding this sandbox is restarting; retry shortly"}
    assert down["tupana"].json()["error"]["code"] == "service_unavailable"
    assert down["tuimprenta"].json()["error"]["code"] == "E5030"
    assert down["avenio"].json()["error"]["code"] == "service_unavailable"
    assert "restarting" in down["hacienda"].headers["X-Error-Cause"]
    for n, failed in failures.items():
        if n not in on_victim:
            assert failed == [], [f.text for f in failed]  # the other workers' sandboxes saw nothing
        for answer in failed:
            assert answer.status_code == 503 and answer.headers["Retry-After"] == "5", answer.text
    assert all(failures[n] for n in on_victim)
    # HAProxy closes the client's connection when the worker dies under a request it reused a
    # connection for (the request may have run): once at most, and only on the victim's sandboxes
    assert all(dropped[n] <= 1 for n in on_victim) and not any(
        dropped[n] for n in dropped if n not in on_victim
    )
    reader = httpx.Client(timeout=30)
    for n, ids in acknowledged.items():
        headers = writers[n][1]
        for ident in ids:
            read = reader.get(f"{url}/bsale/v1/documents/{ident}.json", headers=headers)
            assert read.status_code == 200, (n, ident, read.text)
        listed = reader.get(url + "/bsale/v1/documents.json", params={"limit": 50}, headers=headers).json()
        assert listed["count"] >= len(ids)  # a write answered 503 may have landed: never one lost
    reader.close()


def test_the_client_says_which_calls_the_cluster_merges_and_reaches_one_worker_when_asked(
    cluster: Cluster,
) -> None:
    from mockserver.client import AdminCallFailed

    whole = Client(cluster.url, admin_token=ADMIN_TOKEN)
    assert sorted(whole.health()["workers"]) == sorted(cluster.ports)
    with pytest.raises(AdminCallFailed) as refused:
        whole.clock.now()
    assert refused.value.status == 421 and "X-Mock-Worker" in str(refused.value)
    one = Client(cluster.url, admin_token=ADMIN_TOKEN, worker="w1")
    assert "workers" not in one.health() and one.clock.now()["frozen"] is False
    whole.close()
    one.close()


def test_a_forged_shard_header_or_prefix_never_reaches_a_link(cluster: Cluster) -> None:
    headers = {"access_token": "forger", "X-Mock-Shard": "0123456789ab"}
    listed = httpx.get(cluster.url + "/__shard/<script>/bsale/v1/documents.json", headers=headers).json()
    from mockserver.core.services.shards import tag

    assert listed["href"] == f"{cluster.url}/__shard/{tag('forger')}/bsale/v1/documents.json"
    direct = httpx.get(
        cluster.worker_url("w1") + "/bsale/v1/documents.json", headers={**headers, "X-Mock-Shard": "a b"}
    )
    assert "/__shard/" not in direct.json()["href"]  # a tag a link could not carry is left out
