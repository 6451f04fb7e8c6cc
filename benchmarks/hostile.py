"""Hostile values in every JSON body field and every query parameter of every spec, against a live mock.

Used by fuzz.py after schemathesis (which draws only valid JSON): lone surrogates, NUL bytes, numbers
no backend holds (NaN, Infinity, 1e400, 30 digits), a 100,000-character string and deep nesting, each
written into the raw JSON of each top-level property of each operation's body, and into each query
parameter. A finding is any 5xx; the strict mock logs any answer outside the provider's envelope (the
specs document the envelopes), which fuzz.py counts.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import aiohttp
import yaml
from live import ROOT

JSON_VALUES = [
    '"\\ud800"',
    '"a\\u0000b"',
    '"\\udc00x"',
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "123456789012345678901234567890",
    '"' + "x" * 100_000 + '"',
    "[" * 5_000 + "]" * 5_000,
]
QUERY_VALUES = ["%00", "%ED%A0%80", "NaN", "1e400", "9" * 40, "x" * 4_000, "%FF%FE"]


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(provider: str, base: str) -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path, body property names, query parameter names) of each operation under `base`."""
    spec = yaml.safe_load((ROOT / "specs" / provider / "openapi.yaml").read_text(encoding="utf-8"))
    found = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete") or op.get("x-mock-unsupported"):
                continue
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            media = _resolve(spec, op.get("requestBody") or {}).get("content", {}).get("application/json")
            properties: list[str] = []
            if media is not None:
                schema = _resolve(spec, media.get("schema", {}))
                properties = list(schema.get("properties") or {}) if isinstance(schema, dict) else []
                properties = properties or ["value"]
            params = [_resolve(spec, p) for p in op.get("parameters", []) + item.get("parameters", [])]
            query = [p["name"] for p in params if isinstance(p, dict) and p.get("in") == "query"]
            found.append((method.upper(), base + concrete, properties, query))
    return found


async def run(
    base_url: str, provider: str, base: str, headers: dict[str, str], limit: int
) -> tuple[int, list[str]]:
    """Every hostile request for one provider's operations; answers how many, and the findings (a 5xx
    other than a declared 501, or no answer)."""
    findings: list[str] = []
    sent = 0
    async with aiohttp.ClientSession() as session:

        async def send(method: str, url: str, data: bytes | None) -> None:
            nonlocal sent
            sent += 1
            given = {**headers, "Content-Type": "application/json"} if data is not None else headers
            try:
                async with session.request(method, base_url + url, data=data, headers=given) as answer:
                    await answer.read()
                    if answer.status >= 500 and answer.status != 501:
                        findings.append(f"{method} {url[:120]} → {answer.status}")
            except aiohttp.ClientError as error:
                findings.append(f"{method} {url[:120]} → no answer ({type(error).__name__})")

        for method, path, properties, query in operations(provider, base):
            for name in properties[:limit]:
                for value in JSON_VALUES:
                    await send(method, path, f'{{"{name}": {value}}}'.encode())
            for name in query[:limit]:
                for value in QUERY_VALUES:
                    await send(method, f"{path}?{quote(name)}={value}", None)
    return sent, findings
