"""Safe to share, first items: a sandbox's label never opens it, a callback never drives the control
plane, and a client cannot smuggle replay metadata into the write log."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.core.services.callbacks import control_plane_path, guard
from mockserver.core.services.masking import tenant_label
from tests.conftest import Mock
from tests.providers.tuimprenta.conftest import invoice_body

V1 = "/tuimprenta/v1"


@pytest.fixture
async def mock(make_mock: Any) -> Mock:
    result: Mock = await make_mock(providers=("tuimprenta", "bsale", "tupana"))
    return result


@pytest.mark.parametrize(
    ("provider", "path", "header"),
    [
        ("tuimprenta", "/tuimprenta/v1/invoices", "Authorization: Bearer {}"),
        ("bsale", "/bsale/v1/documents.json", "access_token: {}"),
        ("tupana", "/tupana/v2/batches/", "Authorization: Api-Key {}"),
    ],
)
async def test_the_label_shown_in_logs_never_opens_the_sandbox_it_names(
    mock: Mock, provider: str, path: str, header: str
) -> None:
    name, value = header.split(": ")
    if provider == "tuimprenta":
        made = await mock.client.post(
            f"{V1}/invoices", json=invoice_body(), headers={"Authorization": "Bearer victim-key"}
        )
        assert made.status == 201
    label = tenant_label("victim-key")
    seen = await mock.client.get(path, headers={name: value.format(label)})
    if provider == "tuimprenta":
        assert seen.status == 200 and (await seen.json())["data"] == []  # a sandbox of its own, empty
    victim = mock.runtime.providers[provider].sandbox_of("victim-key")
    attacker = mock.runtime.providers[provider].sandbox_of(label)
    assert victim == label and attacker != label


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/__admin/reset",
        "http://0.0.0.0:8080/__admin/webhooks/pause",
        "http://[::ffff:127.0.0.1]:8080/__admin/reset",
        "http://localhost/__admin/state",
        "http://mock.internal/__admin",
        "http://127.0.0.1:8080/%5F%5Fadmin/reset",
        "http://127.0.0.1:8080//__admin/reset",
        "http://127.0.0.1:8080/x/../__admin/reset",
        "http://127.0.0.1:8080/__admin/inbox/../reset",
        "http://127.0.0.1:8080/__admin/inbox/",
    ],
)
def test_a_callback_aimed_at_the_control_plane_is_refused_in_every_spelling(url: str) -> None:
    assert control_plane_path(url)
    refusal = guard(())(url)
    assert refusal is not None and "control plane" in refusal


def test_the_demo_inbox_and_ordinary_receivers_still_take_deliveries() -> None:
    check = guard(())
    assert check("http://127.0.0.1:8080/__admin/inbox/demo") is None
    assert check("https://receiver.example/hooks/__admin") is None
    assert not control_plane_path("http://127.0.0.1:8080/__adminx/reset")


async def test_a_batch_callback_to_the_reset_endpoint_wipes_nothing(mock: Mock) -> None:
    key = {"Authorization": "Bearer victim-key"}
    assert (await mock.client.post(f"{V1}/invoices", json=invoice_body(), headers=key)).status == 201
    base = str(mock.client.make_url("")).rstrip("/")
    body = {"type": "invoice.create", "payload": [invoice_body()], "callback_url": f"{base}/__admin/reset"}
    hostile = {"Authorization": "Bearer hostile-key"}
    assert (await mock.client.post(f"{V1}/batches", json=body, headers=hostile)).status == 202
    await mock.advance(5)
    await mock.settle_webhooks()
    refused = [d for d in mock.runtime.webhooks.deliveries.values() if d.url.endswith("/__admin/reset")]
    assert refused and all(d.state == "refused" for d in refused)
    listed = await (await mock.client.get(f"{V1}/invoices", headers=key)).json()
    assert len(listed["data"]) == 1  # the victim's invoice is still there


async def test_replay_headers_a_client_sends_never_reach_the_write_log(mock: Mock) -> None:
    smuggled = {
        "Authorization": "Bearer hostile-key",
        "X-Mock-Replay-Tenant": tenant_label("victim-key"),
        "X-Mock-Replay-Base": "https://evil.example/tuimprenta",
    }
    assert (await mock.client.post(f"{V1}/invoices", json=invoice_body(), headers=smuggled)).status == 201
    [write] = mock.runtime.store.writes()
    names = [name.lower() for name, _ in write.headers]
    assert names.count("x-mock-replay-tenant") == 1  # the one the record step wrote: the real sandbox
    assert dict(write.headers)["X-Mock-Replay-Tenant"] == mock.runtime.providers["tuimprenta"].sandbox_of(
        "hostile-key"
    )
    assert "x-mock-replay-base" not in names and write.base and "evil.example" not in write.base


@pytest.mark.parametrize("text", ["\\ud800", "a\\u0000b", "\\udc00x"])
async def test_a_nul_or_a_lone_surrogate_is_the_providers_400_and_stores_nothing(
    mock: Mock, text: str
) -> None:
    raw = (
        '{"series": "TD-2025", "issue_date": "2025-11-07", "customer": {"name": "'
        + text
        + '", "tax_id": "J-12345678-4"}, "items": [{"description": "a", "qty": 1, "unit_price": 1}]}'
    )
    key = {"Authorization": "Bearer k", "Content-Type": "application/json"}
    malformed = await mock.client.post(f"{V1}/invoices", data=b"{not json", headers=key)
    response = await mock.client.post(f"{V1}/invoices", data=raw.encode(), headers=key)
    assert response.status == malformed.status and 400 <= response.status < 500  # as a malformed body is
    # in the provider's own words for a body it cannot take (tuimprenta's are Spanish)
    assert (await response.json())["error"] == (await malformed.json())["error"]
    listed = await (await mock.client.get(f"{V1}/invoices", headers=key)).json()
    assert listed["data"] == []
    journal = await mock.client.get("/__admin/requests")  # the shared view still answers
    assert journal.status == 200
    bsale = await mock.client.post(
        "/bsale/v1/documents.json",
        data=b'{"codeSii": 39, "details": [{"comment": "'
        + text.encode()
        + b'", "netUnitValue": 1000, "quantity": 1}]}',
        headers={"access_token": "t", "Content-Type": "application/json"},
    )
    assert bsale.status == 400


async def test_forged_tokens_naming_a_victim_never_spend_the_victims_rate_limit(make_mock: Any) -> None:
    """Hacienda allows 5 unauthorized POSTs a minute: forged, unsigned JWTs carrying the victim's claims
    count against the sender's address, not the victim, whose next submission still goes through."""
    import base64
    import json

    from mockserver.providers.hacienda import sample
    from tests.providers.hacienda.conftest import API, Hacienda, login

    mock = await make_mock(providers=("hacienda",))
    victim = Hacienda(mock, (await login(mock))["access_token"])
    claims = json.loads(base64.urlsafe_b64decode(victim.headers["Authorization"].split(".")[1] + "=="))

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    forged = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
    statuses = [
        (
            await mock.client.post(f"{API}/recepcion", json={}, headers={"Authorization": f"bearer {forged}"})
        ).status
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]  # the sender's address is out of budget
    response = await victim.post(victim.body(sample.Sample()))
    assert response.status == 201, response.headers.get("X-Error-Cause")


async def test_a_formula_in_an_order_id_is_quoted_in_result_csv(mock: Mock) -> None:
    from tests.providers.tuimprenta.test_batches import HEADER, csv_form

    row = "TD-2025,2025-11-07,ABC,J-12345678-4,a@b.com,Tarjetas,1,12.00,0.16,USD,=cmd|' /C calc'!A0"
    key = {"Authorization": "Bearer k"}
    created = await mock.client.post(f"{V1}/batches", data=csv_form(f"{HEADER}\n{row}\n"), headers=key)
    assert created.status == 202
    batch = await created.json()
    await mock.advance(5)
    result = await (await mock.client.get(f"{V1}/batches/{batch['id']}/result.csv", headers=key)).text()
    line = result.splitlines()[1]
    assert ",'=cmd|" in line and ",=cmd|" not in line


async def test_by_default_each_mock_signs_with_a_key_of_its_own_kept_across_restarts(tmp_path: Any) -> None:
    """The committed public key would let anyone mint tokens and links this mock takes; a mock's own key
    is made on first use and kept in the state file, so a restart's tokens stay valid."""
    import jwt

    from mockserver.core.runtime import Runtime
    from mockserver.paths import DEFAULT_SIGNING_KEY
    from mockserver.settings import Settings

    public = DEFAULT_SIGNING_KEY.read_bytes()
    state = tmp_path / "state.sqlite"
    first = Runtime.build(Settings(providers=("avenio",), state_file=state))
    second = Runtime.build(Settings(providers=("avenio",)))
    assert first.keys.private_pem != public and second.keys.private_pem != first.keys.private_pem
    forged = jwt.encode({"sub": "victim"}, public, algorithm="RS256")  # what anyone could mint
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, first.keys.private_key.public_key(), algorithms=["RS256"])
    first.store.close()
    again = Runtime.build(Settings(providers=("avenio",), state_file=state))
    assert again.keys.private_pem == first.keys.private_pem  # the restart's key is the same one
    explicit = Runtime.build(Settings(providers=("avenio",), signing_key=DEFAULT_SIGNING_KEY))
    assert jwt.decode(forged, explicit.keys.private_key.public_key(), algorithms=["RS256"]) == {
        "sub": "victim"
    }


def test_a_bsale_public_link_cannot_be_guessed_from_the_seed() -> None:
    """With `--seed 42` (docker-compose's default) every mock draws the same ids; a document's public
    link token is a MAC under the mock's own key, so another mock with the same seed cannot predict it."""
    from mockserver.core.runtime import Runtime
    from mockserver.paths import DEFAULT_SIGNING_KEY
    from mockserver.settings import Settings
    from tests.providers.bsale.conftest import boleta

    def token(**settings: Any) -> str:
        runtime = Runtime.build(Settings(providers=("bsale",), seed=42, **settings))
        state = runtime.providers["bsale"].state
        runtime.ids.reseed("1.1")  # the same request token in both: the same draws
        doc, _ = state.create(state.instance("victim-token"), boleta(1000))
        assert len(doc.token) == 12
        return str(doc.token)

    assert token() != token()  # each mock's own key
    assert token(signing_key=DEFAULT_SIGNING_KEY) == token(signing_key=DEFAULT_SIGNING_KEY)  # reproducible


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[::169.254.169.254]/",
        "http://[fe80::1]/",
    ],
)
def test_a_link_local_address_is_refused_in_every_literal_spelling(url: str) -> None:
    refusal = guard(())(url)
    assert refusal is not None and "link-local" in refusal


@pytest.mark.parametrize("host", ["0xa9fea9fe", "2852039166", "169.254.169.254", "0251.0376.0251.0376"])
async def test_a_name_that_resolves_to_a_link_local_address_is_never_connected_to(host: str) -> None:
    from mockserver.core.services.callbacks import GuardedResolver

    resolver = GuardedResolver()
    try:
        with pytest.raises(OSError, match="link-local"):
            await resolver.resolve(host, 80)
        assert [a["host"] for a in await resolver.resolve("127.0.0.1", 80)] == ["127.0.0.1"]
    finally:
        await resolver.close()


async def test_a_delivery_to_a_hex_spelled_metadata_address_fails_without_connecting(mock: Mock) -> None:
    hooks = mock.runtime.webhooks
    delivery = hooks.send(
        provider="tuimprenta", tenant="t", event="x", url="http://0xa9fea9fe/hook", body=b"{}", headers={}
    )
    assert delivery.state == "pending"  # the name passes the literal check: resolution decides
    await mock.advance(1)
    await mock.settle_webhooks()
    # the resolver refused the address the name resolves to (it does resolve: see the test above), so
    # the attempt ended at resolution, before any connection
    assert delivery.attempts and "ClientConnectorDNSError" in str(delivery.attempts[0].error)
    assert delivery.attempts[0].status is None
