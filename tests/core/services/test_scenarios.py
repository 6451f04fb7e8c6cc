"""Fault rules and named scenarios: what fires, how often, for whom, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.core.services.ids import Ids
from mockserver.core.services.scenarios import ScenarioError, Scenarios, contains


def _pick(engine: Scenarios, **overrides: Any) -> dict[str, Any] | None:
    request: dict[str, Any] = {
        "provider": "bsale",
        "operation": "createDocument",
        "tenant": "t1",
        "method": "POST",
        "path": "/bsale/v1/documents.json",
        "body": {"codeSii": 33, "client": {"code": "1-9"}},
        "header": None,
    }
    request.update(overrides)
    return engine.pick(**request)


def test_a_rule_with_times_fires_that_many_times_then_is_gone() -> None:
    engine = Scenarios(Ids(1))
    engine.add({"provider": "bsale", "operation": "createDocument", "status": 503, "times": 2})
    assert [(_pick(engine) or {}).get("status") for _ in range(3)] == [503, 503, None]
    assert engine.rules == []


def test_a_rule_matches_on_operation_tenant_method_path_and_body() -> None:
    engine = Scenarios(Ids(1))
    engine.add(
        {
            "provider": "bsale",
            "tenant": "t1",
            "method": "post",
            "path": r"documents\.json$",
            "match": {"client": {"code": "1-9"}},
            "status": 500,
        }
    )
    assert _pick(engine) is not None
    assert _pick(engine, tenant="t2") is None
    assert _pick(engine, method="GET") is None
    assert _pick(engine, path="/bsale/v1/clients.json") is None
    assert _pick(engine, body={"client": {"code": "2-7"}}) is None
    assert _pick(engine, provider="avenio") is None


def test_the_header_names_a_scenario_of_the_providers_catalogue_before_any_rule() -> None:
    engine = Scenarios(Ids(1))
    engine.catalogues["bsale"] = {"rejected-by-tax-authority": {}}
    engine.add({"provider": "bsale", "status": 500})
    picked = _pick(engine, header="unavailable")
    assert picked is not None and picked["status"] == 503 and picked["name"] == "unavailable"
    assert _pick(engine, header="rejected-by-tax-authority") == {"name": "rejected-by-tax-authority"}


def test_a_probability_follows_the_seed() -> None:
    def run() -> list[bool]:
        engine = Scenarios(Ids(11))
        engine.add({"provider": "bsale", "status": 500, "probability": 0.5})
        return [_pick(engine) is not None for _ in range(20)]

    first = run()
    assert first == run() and True in first and False in first


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({}, "needs a provider"),
        ({"provider": "bsale"}, "needs an action"),
        ({"provider": "bsale", "status": 200}, "error status"),
        ({"provider": "bsale", "status": 500, "times": 0}, "positive integer"),
        ({"provider": "bsale", "status": 500, "probability": 2}, r"\(0, 1\]"),
        ({"provider": "bsale", "status": 500, "path": "("}, "regular expression"),
        ({"provider": "bsale", "scenario": "no-such"}, "unknown scenario 'no-such'"),
    ],
)
def test_a_rule_that_cannot_work_is_refused_with_its_reason(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        Scenarios(Ids(1)).add(rule)


def test_contains_is_a_subset_match() -> None:
    assert contains({"a": 1, "b": [1, 2, 3]}, {"b": [1, 2]})
    assert not contains({"a": 1}, {"a": 2})
    assert not contains([1], [1, 2])
    assert not contains("x", {"a": 1})
