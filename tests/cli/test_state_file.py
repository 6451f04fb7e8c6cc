"""--state-file in real processes: a restart restores everything, and kill -9 loses no acknowledged write."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.cli.process import ROOT, free_ports, running

KEY = {"Authorization": "Bearer ti_test_key"}


def _call(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _flags(state: Path, port: int, *extra: str) -> list[str]:
    flags = ["--port", str(port), "--providers", "tuimprenta", "--state-file", str(state)]
    return [*flags, "--log-level", "warning", "--rate-limits", "off", *extra]


def _mock(
    state: Path, port: int, log: Path, *extra: str, expect_exit: int | None = 0
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    health = f"http://127.0.0.1:{port}/__admin/health"
    return running(_flags(state, port, *extra), log, health=health, expect_exit=expect_exit)


def _invoice(series: str = "TD") -> dict[str, Any]:
    return {
        "series": series,
        "customer": {"name": "A", "tax_id": "J-12345678-4"},
        "items": [{"description": "x", "qty": 1, "unit_price": 10}],
    }


def _all_invoices(base: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = _call(base, "GET", f"/tuimprenta/v1/invoices?limit=100{cursor}", headers=KEY)
        found += page["data"]
        if not page["next_cursor"]:
            return found
        cursor = f"&starting_after={page['next_cursor']}"


def test_a_restart_restores_invoices_pending_batches_and_undelivered_webhooks(tmp_path: Path) -> None:
    state, port, log = tmp_path / "state.sqlite", free_ports(), tmp_path / "mock.log"
    base = f"http://127.0.0.1:{port}"
    inbox = f"{base}/__admin/inbox/demo"
    with _mock(state, port, log):
        _call(base, "POST", "/__admin/lifecycle", {"provider": "tuimprenta", "mode": "manual"})
        made = [_call(base, "POST", "/tuimprenta/v1/invoices", _invoice(), KEY) for _ in range(2)]
        batch = {"type": "invoice.create", "payload": [_invoice("B")], "callback_url": inbox}
        finished = _call(base, "POST", "/tuimprenta/v1/batches", batch, KEY)
        waiting = _call(base, "POST", "/tuimprenta/v1/batches", batch, KEY)
        _call(base, "POST", "/__admin/webhooks/pause", {})
        _call(
            base,
            "POST",
            "/__admin/lifecycle",
            {"provider": "tuimprenta", "key": finished["id"], "advance": True},
        )
        _call(
            base,
            "POST",
            "/__admin/lifecycle",
            {"provider": "tuimprenta", "key": finished["id"], "advance": True},
        )
        held = _call(base, "GET", "/__admin/webhooks")["deliveries"]
        assert [(d["event"], d["state"]) for d in held] == [("batch.completed", "pending")]

    with _mock(state, port, log):
        listed = _all_invoices(base)
        made_ids = {i["id"] for i in made}
        assert made_ids <= {i["id"] for i in listed}
        assert (
            _call(base, "GET", f"/tuimprenta/v1/batches/{finished['id']}", headers=KEY)["status"]
            == "completed"
        )
        assert (
            _call(base, "GET", f"/tuimprenta/v1/batches/{waiting['id']}", headers=KEY)["status"] == "queued"
        )
        hooks = _call(base, "GET", "/__admin/webhooks")
        assert hooks["paused"] is True and [d["id"] for d in hooks["deliveries"]] == [held[0]["id"]]
        _call(base, "POST", "/__admin/webhooks/resume", {})
        deadline = time.monotonic() + 10
        while not (messages := _call(base, "GET", "/__admin/inbox/demo")["messages"]):
            assert time.monotonic() < deadline, "the held webhook was not sent after the restart"
            time.sleep(0.05)
        assert json.loads(messages[0]["raw"])["data"]["batch_id"] == finished["id"]
        _call(
            base,
            "POST",
            "/__admin/lifecycle",
            {"provider": "tuimprenta", "key": waiting["id"], "advance": True},
        )
        assert (
            _call(base, "GET", f"/tuimprenta/v1/batches/{waiting['id']}", headers=KEY)["status"]
            == "processing"
        )


@pytest.mark.parametrize("burst", [150, 1300], ids=["before-a-snapshot", "after-snapshots"])
def test_kill_9_in_the_middle_of_a_burst_loses_no_acknowledged_write(tmp_path: Path, burst: int) -> None:
    """1,300 writes are past the first snapshots (one per 1,000 writes, taken by a forked child while
    the writers go on): the restart loads the newest and replays the writes after it."""
    state, port, log = tmp_path / "state.sqlite", free_ports(), tmp_path / "mock.log"
    base = f"http://127.0.0.1:{port}"
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            try:
                acknowledged.append(_call(base, "POST", "/tuimprenta/v1/invoices", _invoice(), KEY)["id"])
            except (OSError, urllib.error.HTTPError):
                return  # the server is gone

    with _mock(state, port, log, expect_exit=-signal.SIGKILL) as process:
        _call(base, "POST", "/__admin/lifecycle", {"provider": "tuimprenta", "mode": "manual"})
        writers = [threading.Thread(target=writer) for _ in range(4)]
        for thread in writers:
            thread.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < burst and time.monotonic() < deadline:
            time.sleep(0.01)
        process.kill()  # SIGKILL while the writers are still sending (and maybe a child snapshots)
        process.wait(timeout=10)
        stop.set()
        for thread in writers:
            thread.join(timeout=15)
    assert len(acknowledged) >= burst, "the burst was too slow to test anything"
    assert Path(f"{state}-snapshot").exists() == (burst > 1000)

    with _mock(state, port, log):
        listed = _all_invoices(base)
    assert "set aside" not in log.read_text()
    ids = [i["id"] for i in listed]
    assert set(acknowledged) <= set(ids), f"lost {len(set(acknowledged) - set(ids))} acknowledged writes"
    assert len(ids) - len(acknowledged) <= len(writers)  # at most the writes in flight at the kill
    assert sorted(i["number"] for i in listed) == list(range(1, len(ids) + 1))  # no gap, no repeat


def test_fixtures_seed_an_empty_state_file_once_and_bad_ones_stop_start_up(tmp_path: Path) -> None:
    state, port, log = tmp_path / "state.sqlite", free_ports(), tmp_path / "mock.log"
    base = f"http://127.0.0.1:{port}"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "tuimprenta.json").write_text(
        json.dumps([{"path": "/v1/invoices", "tenant": "ti_test_key", "body": _invoice("FX")}])
    )
    for _ in range(2):  # the second start restores the state file and does not seed again
        with _mock(state, port, log, "--fixtures", str(seeds)):
            assert [i["series"] for i in _all_invoices(base)] == ["FX"]
    (seeds / "tuimprenta.json").write_text(json.dumps([{"path": "/v1/invoices", "body": {"series": 1}}]))
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockserver",
            *_flags(tmp_path / "other.sqlite", port, "--fixtures", str(seeds)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode != 0
    assert "--fixtures: tuimprenta.json[0]: createInvoice refuses the body" in refused.stderr


def test_after_a_restart_from_a_log_without_secrets_clients_carry_on_as_before(tmp_path: Path) -> None:
    """The log keeps digests and stand-ins, not secrets; the same credentials work after a restart."""
    from tests.providers.avenio.conftest import emision

    state, log = tmp_path / "state.db", tmp_path / "log"
    port = free_ports()
    base = f"http://127.0.0.1:{port}"
    flags = [
        "--port",
        str(port),
        "--state-file",
        str(state),
        "--log-level",
        "warning",
        "--rate-limits",
        "off",
    ]
    form = "grant_type=client_credentials&client_id=restarter&client_secret=s3cret-Restart"
    body = emision(passwordSII="pw-Restart")
    key = {"Idempotency-Key": "0b6e2c39-5f0e-4d5e-9b3c-7d1f2a3b4c5d"}

    def token(secret_form: str) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{base}/avenio/api/v1/connect/token",
            data=secret_form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    health = f"{base}/__admin/health"
    with running(flags, log, health=health):
        bearer = {"Authorization": f"Bearer {token(form)[1]['data']['accessToken']}"}
        first = _call(base, "POST", "/avenio/api/v1/bhe/emitir", body, {**bearer, **key})
        doc = _call(base, "POST", "/bsale/v1/documents.json", _BOLETA, {"access_token": "bs-Restart"})
        _call(
            base,
            "POST",
            "/tupana/v2/credentials/",
            {"rut": "76543210-3", "password": "sii-Restart"},
            {"Authorization": "Api-Key sandbox_Restart"},
        )
    assert b"s3cret-Restart" not in state.read_bytes() and b"bs-Restart" not in state.read_bytes()
    with running(flags, log, health=health):
        assert token(form)[0] == 200  # the digest in the log recognises the secret
        assert token(form.replace("s3cret", "other"))[0] == 401
        again = _call(base, "POST", "/avenio/api/v1/bhe/emitir", body, {**bearer, **key})
        assert again["data"]["operationId"] == first["data"]["operationId"]  # a replay, not a 409
        kept = _call(
            base, "GET", f"/bsale/v1/documents/{doc['id']}.json", headers={"access_token": "bs-Restart"}
        )
        assert kept["totalAmount"] == doc["totalAmount"]
        credentials = _call(
            base, "GET", "/tupana/v2/credentials/", headers={"Authorization": "Api-Key sandbox_Restart"}
        )
        assert [c["status"] for c in credentials["data"]] == ["active"]


_BOLETA = {"codeSii": 39, "details": [{"comment": "x", "netUnitValue": 1000, "quantity": 1, "taxId": "[1]"}]}
