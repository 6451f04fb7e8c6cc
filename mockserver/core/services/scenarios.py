"""Fault injection: rules set through the admin API, and named scenarios chosen per request by a header.

A rule `{provider, operation?, tenant?, method?, path?, match?, times?, probability?} → {status?, code?,
message?, delay?, drop?, slow_body?}` fires on matching requests; `times` counts it down (deterministic),
`probability` draws from the seeded random source (the same `--seed`, the same faults).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mockserver.core.services.ids import Ids

HEADER = "X-Mock-Scenario"
ACTION_KEYS = ("status", "code", "message", "delay", "drop", "slow_body", "retry_after")
# every provider understands these; a provider adds its own (rejected-by-tax-authority, …)
COMMON_CATALOGUE: dict[str, dict[str, Any]] = {
    "rate-limited": {"status": 429, "message": "Too many requests (scenario)", "retry_after": 30},
    "server-error": {"status": 500, "message": "Internal error (scenario)"},
    "bad-gateway": {"status": 502, "message": "Bad gateway (scenario)"},
    "unavailable": {"status": 503, "message": "Service unavailable (scenario)", "retry_after": 30},
    "timeout": {"delay": 30.0},
    "slow": {"delay": 2.0},
    "dropped-connection": {"drop": True},
    "slow-body": {"slow_body": 3.0},
}


class ScenarioError(ValueError):
    """A rule that cannot work as asked (the admin API answers 400)."""


@dataclass
class Rule:
    id: str
    provider: str
    action: dict[str, Any]
    operation: str | None = None
    tenant: str | None = None
    method: str | None = None
    path: str | None = None  # a regular expression searched in the request path
    match: dict[str, Any] | None = None  # a subset the JSON body must contain
    times: int | None = None  # None: until removed
    probability: float | None = None
    hits: int = 0
    name: str | None = None
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_pattern")
        data["remaining"] = self.times
        return data


def contains(actual: Any, expected: Any) -> bool:
    """`expected` is a subset of `actual`: dicts by key, lists element by element, values equal."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            k in actual and contains(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) >= len(expected)
            and all(contains(a, e) for a, e in zip(actual, expected, strict=False))
        )
    return bool(actual == expected)


class Scenarios:
    def __init__(self, ids: Ids) -> None:
        self.ids = ids
        self.rules: list[Rule] = []
        self.catalogues: dict[str, dict[str, dict[str, Any]]] = {}
        self.load: Callable[[str], object] = lambda provider: None  # builds a provider (the runtime's)
        # how a delay or a slow body waits: real time, so a client's own timeout sees it (tests swap it)
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def saved(self) -> list[Rule]:
        """What a snapshot keeps (see `core.snapshot`): the rules, with what they have counted."""
        return self.rules

    def put_back(self, saved: list[Rule]) -> None:
        self.rules = saved

    def catalogue(self, provider: str) -> dict[str, dict[str, Any]]:
        if provider not in self.catalogues:
            self.load(provider)  # a provider not built yet brings its own scenarios when it is
        return {**COMMON_CATALOGUE, **self.catalogues.get(provider, {})}

    def add(self, spec: Mapping[str, Any]) -> Rule:
        provider = spec.get("provider")
        if not isinstance(provider, str) or not provider:
            raise ScenarioError("a rule needs a provider")
        action = {k: spec[k] for k in ACTION_KEYS if k in spec}
        if "scenario" in spec:
            named = self.catalogue(provider).get(str(spec["scenario"]))
            if named is None:
                raise ScenarioError(
                    f"unknown scenario {spec['scenario']!r} for {provider}; "
                    f"known: {', '.join(self.catalogue(provider))}"
                )
            action = {**named, **action}
        if not action:
            raise ScenarioError(
                f"a rule needs an action: one of {', '.join(ACTION_KEYS)} or a named scenario"
            )
        status = action.get("status")
        if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
            raise ScenarioError("status must be an error status, 400 to 599")
        times = spec.get("times")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ScenarioError("times must be a positive integer (leave it out for 'always')")
        probability = spec.get("probability")
        if probability is not None and not (isinstance(probability, int | float) and 0 < probability <= 1):
            raise ScenarioError("probability must be in (0, 1]")
        rule = Rule(
            id="rule_" + self.ids.hex(12),
            provider=provider,
            action=action,
            operation=spec.get("operation"),
            tenant=spec.get("tenant"),
            method=str(spec["method"]).upper() if spec.get("method") else None,
            path=spec.get("path"),
            match=spec.get("match"),
            times=times,
            probability=probability,
            name=spec.get("scenario"),
        )
        if rule.path:
            try:
                rule._pattern = re.compile(rule.path)
            except re.error as error:
                raise ScenarioError(f"path is not a regular expression: {error}") from None
        self.rules.append(rule)
        return rule

    def remove(
        self, rule_id: str | None = None, provider: str | None = None, tenant: str | None = None
    ) -> int:
        before = len(self.rules)
        self.rules = [
            r
            for r in self.rules
            if not (
                (rule_id is None or r.id == rule_id)
                and (provider is None or r.provider == provider)
                and (tenant is None or r.tenant == tenant)
            )
        ]
        return before - len(self.rules)

    def pick(
        self,
        *,
        provider: str,
        operation: str | None,
        tenant: str | None,
        method: str,
        path: str,
        body: Any,
        header: str | None,
    ) -> dict[str, Any] | None:
        """The action for this request: the header's named scenario first, else the first rule that fires."""
        if header:
            named = self.catalogue(provider).get(header)
            if named is not None:
                return {**named, "name": header}
        for rule in self.rules:
            if rule.provider != provider or (rule.operation and rule.operation != operation):
                continue
            if (rule.tenant and rule.tenant != tenant) or (rule.method and rule.method != method):
                continue
            if rule._pattern is not None and not rule._pattern.search(path):
                continue
            if rule.match is not None and not contains(body, rule.match):
                continue
            if rule.probability is not None and self.ids.random_fraction() >= rule.probability:
                continue
            rule.hits += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
            return {**rule.action, "name": rule.name, "rule": rule.id}
        return None
