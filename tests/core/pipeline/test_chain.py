"""The compiled chains: each route carries only the steps it needs, in the documented order."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.core import runtime as runtime_module
from mockserver.core import validation
from mockserver.core.dispatch import DISPATCH
from mockserver.core.pipeline import STEPS, Route
from mockserver.core.routing import build_provider_table
from mockserver.core.runtime import Runtime
from tests.conftest import Mock, make_settings

ORDER = [step.__name__ for step, _ in STEPS]


@pytest.fixture
async def toy_mock(make_mock: Any, monkeypatch: pytest.MonkeyPatch) -> Mock:
    monkeypatch.setitem(runtime_module.PROVIDERS, "toy", "tests.core.toy")
    result: Mock = await make_mock(providers=("toy",))
    return result


def _routes(mock: Mock) -> dict[tuple[str, str], Route]:
    """Every provider route of the mock's tables, by method and path (the mount's included)."""
    return {
        (method, path): route
        for table in mock.app[DISPATCH].tables()
        for method, path, route in table.routes()
    }


async def test_an_operation_carries_auth_body_and_idempotency_only_when_its_spec_asks(toy_mock: Mock) -> None:
    routes = _routes(toy_mock)
    create = routes[("POST", "/toy/v1/things")]
    assert create.steps == (
        "record",
        "due",
        "journal",
        "strict",
        "envelope",
        "body",
        "scenarios",
        "authenticate",
        "validate",
        "idempotency",
        "commit",
    )
    delete = next(r for (method, _), r in routes.items() if method == "DELETE")
    assert "body" not in delete.steps and "idempotency" not in delete.steps
    assert delete.steps[:3] == ("record", "due", "journal")


async def test_every_chain_keeps_the_documented_order(mock: Mock) -> None:
    routes = _routes(mock)
    assert len(routes) > 50  # every operation of the five providers, with and without a trailing slash
    for route in routes.values():
        assert list(route.steps) == [name for name in ORDER if name in route.steps]
    # token endpoints and signed downloads take no credential; everything that writes does
    unsecured = {r.op.id for r in routes.values() if r.op is not None and "authenticate" not in r.steps}
    assert {"createToken", "getCerts", "downloadDocumentPdf"} <= unsecured
    assert "createDocument" not in unsecured
    reads = [r for (method, _), r in routes.items() if method == "GET" and r.op is not None]
    assert reads and not any("commit" in r.steps for r in reads)  # a read is logged only if it polls
    assert all("commit" in r.steps for (method, _), r in routes.items() if method == "POST" and r.op)


async def test_the_served_spec_is_not_journaled_and_strict_only_checks_operations(mock: Mock) -> None:
    routes = _routes(mock)
    served = routes[("GET", "/bsale/openapi.json")]
    assert served.op is None and "journal" not in served.steps and "strict" not in served.steps
    assert (await mock.client.get("/bsale/openapi.json")).status == 200
    assert mock.runtime.journal.query() == []


def test_a_mock_not_strict_compiles_no_strict_step() -> None:
    runtime = Runtime.build(make_settings(strict=False, providers=("bsale",)))
    table = build_provider_table(runtime.providers["bsale"], "/bsale")
    steps = {route.steps for _, _, route in table.routes()}
    assert steps and not any("strict" in s for s in steps)


async def test_a_refused_request_is_journaled_with_its_body(toy_mock: Mock) -> None:
    response = await toy_mock.client.post("/toy/v1/things", json={"name": "x"})  # no X-Key
    assert response.status == 401
    [entry] = toy_mock.runtime.journal.query()
    assert entry.status == 401 and entry.request_body == {"name": "x"} and entry.operation == "createThing"


async def test_the_write_log_records_provider_writes_and_control_plane_writes(toy_mock: Mock) -> None:
    headers = {"X-Key": "a", "Idempotency-Key": "k"}
    assert (await toy_mock.client.post("/toy/v1/things", json={"name": "x"}, headers=headers)).status == 201
    assert (await toy_mock.client.post("/__admin/clock", json={"advance": 5})).status == 200
    assert (await toy_mock.client.get("/__admin/health")).status == 200  # a read: not a write
    writes = toy_mock.runtime.store.writes()
    assert [(w.provider, w.method, w.target) for w in writes] == [
        ("toy", "POST", "/v1/things"),
        (None, "POST", "/__admin/clock"),
    ]
    assert ("X-Mock-Replay-Tenant", "a") in writes[0].headers  # the sandbox, for a replay


async def test_limits_off_leave_the_step_out_where_no_answer_shows_a_budget(make_mock: Any) -> None:
    off = await make_mock(rate_limits={"*": None})
    by_provider: dict[str, set[bool]] = {}
    for route in _routes(off).values():
        if route.op is not None:
            by_provider.setdefault(route.provider.name, set()).add("rate_limit" in route.steps)
    assert by_provider == {
        "bsale": {False},  # nothing counted, no headers to show
        "tupana": {False},
        "avenio": {True},  # a full budget in the headers, as clients read it
        "hacienda": {True},
        "tuimprenta": {True},
    }
    answer = await off.client.get("/tuimprenta/v1/invoices", headers={"Authorization": "Bearer k"})
    assert answer.status == 200 and "X-RateLimit-Limit" in answer.headers
    on = await make_mock()
    assert all("rate_limit" in r.steps for r in _routes(on).values() if r.op is not None)


async def test_an_operation_s_parameter_readers_are_compiled_once_for_each_place(
    mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"access_token": "reader-key"}
    op = _routes(mock)[("GET", "/bsale/v1/documents.json")].op
    assert op is not None
    op.readers.clear()  # every app in the process shares the spec's operations (`load_spec`)
    compiled: list[str] = []
    reader = validation._reader
    monkeypatch.setattr(validation, "_reader", lambda param: compiled.append(param.name) or reader(param))
    first = await mock.client.get("/bsale/v1/documents.json?limit=2&offset=x", headers=headers)
    assert first.status == 400  # an offset that is not an integer: its validator words the refusal
    readers = op.readers["query"]
    assert (await mock.client.get("/bsale/v1/documents.json?limit=2", headers=headers)).status == 200
    assert op.readers["query"] is readers and op.readers["path"] == ()
    assert sorted(compiled) == sorted(p.name for p in op.params)  # each parameter's reader made once
