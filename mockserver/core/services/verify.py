"""`POST /__admin/verify`: "operation X was called N times with a body like …", with a near-miss report."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mockserver.core.services.journal import Entry, Journal


def _differences(actual: Any, expected: Any, path: str = "body") -> list[str]:
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{path}: expected an object, got {actual!r}"]
        out: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{path}.{key}: missing (expected {value!r})")
            else:
                out += _differences(actual[key], value, f"{path}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) < len(expected):
            return [f"{path}: expected a list of at least {len(expected)}, got {actual!r}"]
        return [d for n, e in enumerate(expected) for d in _differences(actual[n], e, f"{path}[{n}]")]
    return [] if actual == expected else [f"{path}: {actual!r} != expected {expected!r}"]


def _mismatches(entry: Entry, criteria: Mapping[str, Any]) -> list[str]:
    out = []
    for key in ("provider", "operation", "tenant", "status", "scenario"):
        if key in criteria and getattr(entry, key) != criteria[key]:
            out.append(f"{key}: {getattr(entry, key)!r} != expected {criteria[key]!r}")
    if "method" in criteria and entry.method != str(criteria["method"]).upper():
        out.append(f"method: {entry.method} != expected {str(criteria['method']).upper()}")
    if "path" in criteria and not re.search(str(criteria["path"]), entry.path):
        out.append(f"path: {entry.path} does not match {criteria['path']!r}")
    if "query" in criteria:
        out += _differences(entry.shown_query(), criteria["query"], "query")
    if "body" in criteria:
        out += _differences(entry.request_body, criteria["body"])
    return out


def verify(journal: Journal, criteria: Mapping[str, Any]) -> dict[str, Any]:
    """Counts matching calls; on failure, the closest calls and what differs in each."""
    entries = journal.query()
    matched = [e for e in entries if not _mismatches(e, criteria)]
    count = len(matched)
    if "times" in criteria:
        ok, expectation = count == criteria["times"], f"exactly {criteria['times']}"
    else:
        low, high = criteria.get("at_least", 1), criteria.get("at_most")
        ok = count >= low and (high is None or count <= high)
        expectation = f"at least {low}" + (f" and at most {high}" if high is not None else "")
    result: dict[str, Any] = {
        "ok": ok,
        "matched": count,
        "expected": expectation,
        "matches": [e.id for e in matched][:50],
    }
    if ok:
        return result
    scoped = [e for e in entries if e.provider == criteria.get("provider", e.provider)] or entries
    near = sorted(((len(d), e, d) for e in scoped if (d := _mismatches(e, criteria))), key=lambda t: t[0])[:5]
    lines = [f"Expected {expectation} call(s) matching {dict(criteria)!r}; found {count}."]
    if near:
        lines.append("Closest recorded calls:")
        for _, entry, diffs in near:
            lines.append(f"  #{entry.id} {entry.method} {entry.path} → {entry.status} ({entry.operation}):")
            lines += [f"    - {d}" for d in diffs]
    elif not entries:
        lines.append("The journal is empty.")
    result["near_misses"] = [
        {
            "id": e.id,
            "operation": e.operation,
            "method": e.method,
            "path": e.path,
            "status": e.status,
            "differences": d,
        }
        for _, e, d in near
    ]
    result["report"] = "\n".join(lines)
    return result
