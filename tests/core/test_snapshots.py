"""Snapshots: a restart from one plus the writes after it gives the state the whole log gives, and a
snapshot that does not fit (damaged, foreign, from other code, hostile) is set aside, never trusted."""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import zlib
from pathlib import Path
from typing import Any

import pytest

from mockserver.core import persistence, snapshot
from mockserver.providers.hacienda import sample
from tests.conftest import Mock, MockFactory
from tests.providers.avenio.conftest import Avenio, emision
from tests.providers.avenio.conftest import token as avenio_token
from tests.providers.bsale.conftest import TOKEN as BSALE_TOKEN
from tests.providers.bsale.conftest import Bsale, boleta
from tests.providers.hacienda.conftest import Hacienda, login
from tests.providers.tuimprenta.conftest import Tuimprenta, invoice_body
from tests.providers.tupana.conftest import Tupana, factura

INBOX = "http://127.0.0.1:9/__admin/inbox/snapshots"  # never reached: webhooks stay pending
# the credentials the history below sends: API keys and tokens, client secrets, passwords
SECRETS = ("ti_test_key", "sandbox_test_key", BSALE_TOKEN, "snapshot-client-secret", "secreto", "clave-sii")


async def _history(mock: Mock) -> dict[str, Any]:
    """Writes of every provider, with work still under way on the clock, and what reads them."""
    client = mock.client
    await client.post("/__admin/lifecycle", json={"provider": "tuimprenta", "mode": "manual"})
    rule = {"provider": "bsale", "operation": "createDocument", "status": 503, "times": 2, "tenant": "other"}
    assert (await client.post("/__admin/scenarios", json=rule)).status in (200, 201)
    ti, bsale, tupana = Tuimprenta(mock), Bsale(mock), Tupana(mock)
    await ti.invoice()
    batch = {"type": "invoice.create", "payload": [invoice_body(series="B")], "callback_url": INBOX}
    made_batch = await ti.ok("POST", "/batches", 202, json=batch)
    await ti.ok("POST", "/invoices", 201, json=invoice_body(), headers={"Idempotency-Key": "k-1"})
    assert (await Bsale(mock, "other").post(boleta(1000))).status == 503  # the rule's first of two
    await bsale.create(boleta(2500))
    sold = await bsale.factura((1, 3), dispatch=1)  # a return, a guía and a reception: stock moves
    line = sold["details"]["items"][0]["id"]
    given_back = {"documentTypeId": 5, "referenceDocumentId": sold["id"], "clientId": 24}
    await bsale.made("returns.json", {**given_back, "details": [{"documentDetailId": line, "quantity": 1}]})
    guide = {"shippingTypeId": 1, "clientId": 24, "details": [{"variantId": 1, "quantity": 2}]}
    await bsale.made("shippings.json", guide)
    await bsale.made("stocks/receptions.json", {"officeId": 1, "details": [{"variantId": 1, "quantity": 4}]})
    hacienda = Hacienda(mock, (await login(mock))["access_token"])
    await hacienda.submit(sample.Sample(), callback_url=INBOX)
    avenio = Avenio(mock, await avenio_token(mock, ("snapshot-client", "snapshot-client-secret")))
    accepted = await avenio.post("emitir", emision())
    assert accepted.status == 202, await accepted.text()
    operation = (await accepted.json())["data"]["operationId"]
    await tupana.enrol()
    made = await tupana.batch([factura(), factura()])
    assert made.status in (200, 201, 202), await made.text()
    tupana_batch = (await made.json())["batch_id"]
    charge = {
        "recipient_id": "c",
        "amount": 100,
        "target_dte_type": 39,
        "items": [{"description": "x", "quantity": 1, "unit_price": 100}],
    }
    payment = (await tupana.ok("POST", "/payment-requests/", 201, json=charge))["payment_request_id"]
    return {
        "tuimprenta": (
            ti.headers,
            ["/tuimprenta/v1/invoices?limit=100", f"/tuimprenta/v1/batches/{made_batch['id']}"],
        ),
        "bsale": (
            bsale.headers,
            [
                "/bsale/v1/documents.json?expand=[details]",
                "/bsale/v1/returns.json?expand=[details]",
                "/bsale/v1/shippings.json?expand=[details]",
                "/bsale/v1/stocks.json?variantid=1",
                "/bsale/v1/stocks/receptions.json?expand=[details]",
                "/bsale/v1/variants/1/costs.json",
            ],
        ),
        "hacienda": (hacienda.headers, ["/hacienda/recepcion-sandbox/v1/comprobantes"]),
        "avenio": (avenio.headers, [f"/avenio/api/v1/bhe/operaciones/{operation}"]),
        "tupana": (
            tupana.headers,
            [f"/tupana/v2/documents/batch/{tupana_batch}/", f"/tupana/v2/payment-requests/{payment}/"],
        ),
    }


async def _reads(mock: Mock, reads: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for headers, paths in reads.values():
        for path in paths:
            response = await mock.client.get(path, headers=headers)
            # links name the host the client used (each mock here has its own port); a trace id is
            # the read's own
            text = re.sub(r"127\.0\.0\.1:\d+", "HOST", await response.text())
            seen[path] = (response.status, re.sub(r'"(traceId|request_id)": ?"\w+"', "TRACE", text))
    hooks = await (await mock.client.get("/__admin/webhooks")).json()
    seen["deliveries"] = sorted((d["id"], d["state"], d["event"]) for d in hooks["deliveries"])
    rules = await (await mock.client.get("/__admin/scenarios")).json()
    seen["rules"] = json.dumps(rules, sort_keys=True)
    return seen


async def _restarted(make_mock: MockFactory, state: Path) -> Mock:
    mock: Mock = await make_mock(state_file=state)
    persistence.open_store(mock.runtime)
    await persistence.restore(mock.runtime)
    return mock


async def test_a_restart_from_a_snapshot_and_the_writes_after_it_is_the_whole_logs_state(
    make_mock: MockFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state.sqlite"
    first: Mock = await make_mock(state_file=state)
    reads = await _history(first)
    first.runtime.snapshots.close()  # type: ignore[union-attr]  (a clean stop's snapshot)
    kept = snapshot.seq_of(Path(f"{state}-snapshot"))
    assert kept == first.runtime.store.last_seq
    await Tuimprenta(first).invoice()  # after the snapshot: replayed from the log
    await first.advance(1)
    expected = await _reads(first, reads)

    from_snapshot = await _restarted(make_mock, state)
    assert "set aside" not in caplog.text  # the snapshot was used, not passed over for the log
    assert await _reads(from_snapshot, reads) == expected
    pickled = zlib.decompress(Path(f"{state}-snapshot").read_bytes().split(b"\n", 2)[2])
    for secret in SECRETS:  # a snapshot is on disk, as the write log is: no credential in it either
        assert secret.encode() not in pickled, secret
    Path(f"{state}-snapshot").rename(tmp_path / "aside")
    from_log = await _restarted(make_mock, state)
    assert await _reads(from_log, reads) == expected
    for mock in (first, from_snapshot, from_log):  # the work under way goes on the same way in each
        await mock.advance(3600)
        await mock.client.post("/__admin/lifecycle", json={"provider": "tuimprenta", "advance": True})
    later = await _reads(first, reads)
    assert later != expected
    assert await _reads(from_snapshot, reads) == later
    assert await _reads(from_log, reads) == later


def _forge(path: Path, body: bytes, **header: Any) -> None:
    """A snapshot file with a header that checks out for `body` (a hostile or stale one)."""
    fields = {"sha256": __import__("hashlib").sha256(body).hexdigest(), **header}
    path.write_bytes(snapshot.MAGIC + json.dumps(fields).encode() + b"\n" + body)


class _Boom:
    def __reduce__(self) -> Any:
        return (os.system, ("touch pwned",))


class _OwnFunction:
    """mockserver's own code, called with the file's arguments: writes a file where it is told."""

    def __reduce__(self) -> Any:
        return (snapshot.write_atomically, (Path("pwned"), b"import os"))


class _OwnType:
    """A type of mockserver's state, its constructor called with the file's arguments."""

    def __reduce__(self) -> Any:
        from mockserver.core.services.store import Store

        return (Store, (Path("pwned"),))


@pytest.mark.parametrize(
    "damage",
    [
        "garbage",
        "truncated",
        "bit flipped",
        "other code",
        "other log",
        "hostile pickle",
        "mockserver's own function",
        "mockserver's own type",
        "later than the log",
    ],
)
async def test_a_snapshot_that_does_not_fit_is_set_aside_and_the_whole_log_replayed(
    make_mock: MockFactory, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    state = tmp_path / "state.sqlite"
    first: Mock = await make_mock(state_file=state)
    made = [(await Tuimprenta(first).invoice())["id"] for _ in range(3)]
    first.runtime.snapshots.close()  # type: ignore[union-attr]
    path = Path(f"{state}-snapshot")
    good = path.read_bytes()
    header = json.loads(good[len(snapshot.MAGIC) :].partition(b"\n")[0])
    if damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "bit flipped":
        path.write_bytes(good[:-10] + bytes([good[-10] ^ 1]) + good[-9:])
    elif damage == "other code":
        _forge(path, good.partition(b"\n")[2].partition(b"\n")[2], **{**header, "fingerprint": "0" * 64})
    elif damage == "other log":
        _forge(path, good.partition(b"\n")[2].partition(b"\n")[2], **{**header, "log": "another"})
    elif damage == "later than the log":
        _forge(path, good.partition(b"\n")[2].partition(b"\n")[2], **{**header, "seq": header["seq"] + 5})
    else:
        hostile = {"hostile pickle": _Boom, "mockserver's own function": _OwnFunction}.get(damage, _OwnType)
        _forge(path, zlib.compress(pickle.dumps({"states": hostile()})), **header)
    with caplog.at_level(logging.WARNING, "mockserver.persistence"):
        again = await _restarted(make_mock, state)
    assert [r.message for r in caplog.records if "set aside" in r.message], caplog.text
    listed = await Tuimprenta(again).ok("GET", "/invoices?limit=100")
    assert sorted(i["id"] for i in listed["data"]) == sorted(made)
    assert not (tmp_path / "pwned").exists()


async def test_the_snapshot_loader_calls_no_function_or_type_the_file_chooses() -> None:
    for module, name in [
        ("os", "system"),
        ("builtins", "eval"),
        ("builtins", "getattr"),
        ("subprocess", "run"),
        ("mockserver.core.snapshot", "os"),  # a module of ours is not a class or a function of it
        ("mockserver.core.snapshot", "write_atomically"),  # nor is a function of ours not in FUNCTIONS
        ("mockserver.providers.tuimprenta.models", "Invoice"),  # a state type is never called
        ("mockserver.core.services.store", "Store"),
    ]:
        with pytest.raises(snapshot.SnapshotError):
            snapshot._Loader(__import__("io").BytesIO(b"")).find_class(module, name)
    for blank in [
        "os:system",
        "mockserver.core.services.store:Store",  # talks to files: never state
        "mockserver.core.services.keys:SigningKey",
        "mockserver.core.snapshot:SnapshotError",
        "mockserver.providers.tuimprenta.models:Missing",
        "mockserver.providers.bsale.handlers:json",  # a module, not a type
    ]:
        with pytest.raises(snapshot.SnapshotError):
            snapshot._blank(blank)
    made = snapshot._blank("mockserver.providers.tuimprenta.models:Invoice")
    assert type(made).__name__ == "Invoice" and not vars(made)  # made, nothing of it run
    with pytest.raises(snapshot.SnapshotError):
        snapshot._method(object(), "__class__")
    with pytest.raises(snapshot.SnapshotError):  # a method of a state type, but none a timer holds
        snapshot._method(made, "as_json")
    with pytest.raises(snapshot.SnapshotError):
        snapshot._member("mockserver.core.services.lifecycle:Mode", "__class__")


async def test_a_reset_or_an_import_makes_the_old_snapshot_useless_and_a_new_one_is_taken(
    make_mock: MockFactory, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    first: Mock = await make_mock(state_file=state)
    await Tuimprenta(first).invoice()
    first.runtime.snapshots.close()  # type: ignore[union-attr]
    assert (await first.client.post("/__admin/reset", json={})).status == 200
    kept = await Tuimprenta(first).invoice()
    again = await _restarted(make_mock, state)  # the old snapshot names a log the reset dropped
    listed = await Tuimprenta(again).ok("GET", "/invoices?limit=100")
    assert [i["id"] for i in listed["data"]] == [kept["id"]]
