"""The shared pipeline through a toy provider: coverage at start-up, validation, idempotency, 501, journal."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.core import runtime as runtime_module
from mockserver.core.plugin import Unsupported
from mockserver.core.runtime import Runtime, SpecMismatch, check_coverage
from mockserver.core.specs import Spec
from mockserver.settings import ALL_PROVIDERS
from tests.conftest import Mock, make_settings
from tests.core import toy


@pytest.fixture
async def toy_mock(make_mock: Any, monkeypatch: pytest.MonkeyPatch) -> Mock:
    monkeypatch.setitem(runtime_module.PROVIDERS, "toy", "tests.core.toy")
    result: Mock = await make_mock(providers=("toy",))
    return result


def test_startup_fails_when_an_operation_has_no_handler() -> None:
    spec = Spec(toy.PROVIDER.spec_path)
    provider = toy.PROVIDER
    broken = type(provider)(**{**provider.__dict__, "operations": {"createThing": toy.create_thing}})
    with pytest.raises(SpecMismatch, match="deleteThing"):
        check_coverage(broken, spec)


def test_startup_fails_for_handlers_without_an_operation_or_reasonless_unsupported() -> None:
    spec = Spec(toy.PROVIDER.spec_path)
    provider = toy.PROVIDER
    ops = {**provider.operations, "ghost": toy.create_thing, "deleteThing": Unsupported("")}
    broken = type(provider)(**{**provider.__dict__, "operations": ops})
    with pytest.raises(SpecMismatch) as raised:
        check_coverage(broken, spec)
    assert "handlers for operations not in the spec: ghost" in str(raised.value)
    assert "Unsupported entries without a reason: deleteThing" in str(raised.value)


def test_every_real_provider_covers_its_spec() -> None:
    built = Runtime.build(make_settings())
    assert set(built.providers) == set(ALL_PROVIDERS)


async def test_request_body_is_validated_against_the_spec(toy_mock: Mock) -> None:
    response = await toy_mock.client.post(
        "/toy/v1/things", json={"name": ""}, headers={"X-Key": "a", "Idempotency-Key": "k"}
    )
    assert response.status == 400
    body = await response.json()
    assert body["error"] == "validation"
    assert body["message"] == "name must not be empty"


async def test_invalid_json_gets_the_providers_error_not_a_traceback(toy_mock: Mock) -> None:
    response = await toy_mock.client.post(
        "/toy/v1/things",
        data=b"{not json",
        headers={"X-Key": "a", "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert (await response.json())["message"] == "The body is not valid JSON"


async def test_idempotency_key_replays_and_conflicts(toy_mock: Mock) -> None:
    headers = {"X-Key": "a", "Idempotency-Key": "same"}
    first = await toy_mock.client.post("/toy/v1/things", json={"name": "x"}, headers=headers)
    again = await toy_mock.client.post("/toy/v1/things", json={"name": "x"}, headers=headers)
    assert first.status == again.status == 201
    assert await first.json() == await again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await toy_mock.client.post("/toy/v1/things", json={"name": "y"}, headers=headers)
    assert other.status == 409
    missing = await toy_mock.client.post("/toy/v1/things", json={"name": "x"}, headers={"X-Key": "a"})
    assert missing.status == 400
    # another tenant may use the same key
    other_tenant = await toy_mock.client.post(
        "/toy/v1/things", json={"name": "y"}, headers={"X-Key": "b", "Idempotency-Key": "same"}
    )
    assert other_tenant.status == 201


async def test_unsupported_operation_answers_501_with_its_reason(toy_mock: Mock) -> None:
    response = await toy_mock.client.delete("/toy/v1/things/1", headers={"X-Key": "a"})
    assert response.status == 501
    assert "toys are forever" in (await response.json())["message"]


async def test_journal_masks_secrets_and_records_the_status_sent(toy_mock: Mock) -> None:
    await toy_mock.client.post(
        "/toy/v1/things",
        json={"name": "x", "password": "hunter2"},
        headers={"X-Key": "a", "Idempotency-Key": "j", "Authorization": "Bearer sekret"},
    )
    response = await toy_mock.client.get("/__admin/requests?provider=toy&operation=createThing")
    entry = (await response.json())["requests"][0]
    assert entry["status"] == 201
    assert entry["tenant"] == "a"
    assert entry["request_body"]["password"] == "***"
    assert entry["request_headers"]["Authorization"] == "Bearer ***"
    assert "hunter2" not in str(entry) and "sekret" not in str(entry)


async def test_journal_is_a_bounded_ring_buffer(make_mock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(runtime_module.PROVIDERS, "toy", "tests.core.toy")
    mock = await make_mock(providers=("toy",), journal_size=3)
    for n in range(5):
        await mock.client.post(
            "/toy/v1/things", json={"name": str(n)}, headers={"X-Key": "a", "Idempotency-Key": str(n)}
        )
    entries = (await (await mock.client.get("/__admin/requests")).json())["requests"]
    assert [e["request_body"]["name"] for e in entries] == ["4", "3", "2"]


async def test_real_host_routes_to_the_provider_without_the_mount(toy_mock: Mock) -> None:
    response = await toy_mock.client.post(
        "/v1/things",
        json={"name": "h"},
        headers={"Host": "toy.example", "X-Key": "a", "Idempotency-Key": "h"},
    )
    assert response.status == 201
