"""Property-based fuzzing of every provider's OpenAPI document with schemathesis, against a live mock.

usage: python benchmarks/fuzz.py [--quick] [--examples N] [--seed S] [--json PATH]

One mock on loopback (strict, so it also checks its own answers against specs/; immediate lifecycle;
callbacks only to loopback). One round of real traffic per provider first (traffic.py), so half of
the path and query parameters the fuzzer sends name things that exist: the fuzzer gets past 404s
into the handlers. Then `st run` per provider with its credential and these checks: no 5xx, status
codes, content types, headers and bodies as the spec documents them (every error in the provider's
own envelope, since the envelopes are the specs' error schemas), and schema-invalid requests
refused. Operations the mock declares unsupported (they answer 501 by design) are left out.

Then hostile values schemathesis never draws (hostile.py: lone surrogates, NUL, NaN, 1e400, huge
strings, deep nesting) in every body field and query parameter. Fails when schemathesis finds anything,
when a hostile value gets a 5xx, or when the mock logged a spec violation or an unhandled
error. --quick (CI): 5 examples per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import hostile
from live import ROOT, free_port, start_mock, stop
from traffic import PROVIDERS, Traffic

from mockserver.core.plugin import Unsupported

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)
TENANT = "fuzz"


def nullable_spec(provider: str, tmp: Path) -> Path:
    """The provider's spec with every optional request-body field also taking JSON null: the mock reads
    a null there as the field not given (as Python's None, PHP's null reach an API), so a null is not
    schema-invalid input it should refuse. A required field stays non-null."""
    import yaml

    spec = yaml.safe_load((ROOT / "specs" / provider / "openapi.yaml").read_text(encoding="utf-8"))
    seen: set[int] = set()

    def resolve(node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            target: Any = spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def nullable(node: Any) -> Any:
        kind = node.get("type") if isinstance(node, dict) else None
        if isinstance(kind, str) and kind != "null":
            return {**node, "type": [kind, "null"]}
        if isinstance(kind, list) and "null" not in kind:
            return {**node, "type": [*kind, "null"]}
        if isinstance(kind, list) or kind == "null":
            return node
        return {"anyOf": [node, {"type": "null"}]}

    def walk(node: Any) -> None:
        node = resolve(node)
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        required = set(node.get("required", []))
        properties = node.get("properties", {})
        for name, child in list(properties.items()):
            walk(child)
            if name not in required and child is not True:
                properties[name] = nullable(child)
        for key in ("items", "additionalProperties"):
            walk(node.get(key))
        for key in ("allOf", "anyOf", "oneOf"):
            for child in node.get(key, []):
                walk(child)

    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict):
                for media in resolve(op.get("requestBody", {})).get("content", {}).values():
                    walk(media.get("schema"))
    path = tmp / f"{provider}-openapi.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Target:
    provider: str
    base: str  # the mount plus the spec's server path
    headers: dict[str, str]
    select: tuple[str, ...] = ()  # extra `st run` filters


def targets(tokens: dict[tuple[str, str], str]) -> list[Target]:
    hacienda = {"Authorization": f"bearer {tokens[('hacienda', TENANT)]}"}
    return [
        Target("hacienda", "/hacienda", {}, ("--include-tag", "idp")),
        Target("hacienda", "/hacienda/recepcion-sandbox/v1", hacienda, ("--exclude-tag", "idp")),
        Target("avenio", "/avenio", {"Authorization": f"Bearer {tokens[('avenio', TENANT)]}"}),
        Target("bsale", "/bsale", {"access_token": TENANT}),
        Target("tupana", "/tupana/v2", {"Authorization": f"Api-Key sandbox_{TENANT}"}),
        Target("tuimprenta", "/tuimprenta/v1", {"Authorization": f"Bearer {TENANT}"}),
    ]


def unsupported(provider: str) -> list[str]:
    routes = importlib.import_module(f"mockserver.providers.{provider}.routes")
    return [op for op, handler in routes.OPERATIONS.items() if isinstance(handler, Unsupported)]


def config(known: dict[str, set[Any]], realm_values: list[str]) -> str:
    """A schemathesis.toml: each known parameter drawn from real values half of the time."""
    values = {name: sorted(v, key=str) for name, v in known.items()}
    if realm_values:
        values["realm"] = realm_values
    lines = []
    for name, entries in values.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(entries)}", ""]
    lines.append("[parameters]")
    lines += [f'{name} = {{ dictionary = "{name}", probability = 0.5 }}' for name in values]
    return "\n".join(lines) + "\n"


def run_target(
    target: Target, base: str, known: dict[str, set[Any]], args: argparse.Namespace, tmp: Path
) -> Any:
    name = f"{target.provider}{target.base.replace('/', '_')}"
    toml = tmp / f"{name}.toml"
    toml.write_text(config(known, ["rut-stag", "rut"] if target.provider == "hacienda" else []))
    report = tmp / f"{name}.json"
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(toml),
        "run",
        str(nullable_spec(target.provider, tmp)),
        "--url",
        base + target.base,
        "--checks",
        CHECKS,
        "--max-examples",
        str(args.examples),
        "--seed",
        str(args.seed),
        "--phases",
        "examples,coverage,fuzzing",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *target.select,
    ]
    for header, value in target.headers.items():
        command += ["-H", f"{header}: {value}"]
    for operation in unsupported(target.provider):
        command += ["--exclude-operation-id", operation]
    finished = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=3600)
    result = json.loads(report.read_text())
    if finished.returncode and result["test_cases"]["with_failures"] == 0:
        sys.stderr.write(finished.stdout[-4000:] + finished.stderr[-4000:])
    if result["failures"] or result["errors"]:
        sys.stderr.write(finished.stdout[-20000:])
    return {
        "provider": target.provider,
        "base": target.base,
        "operations": result["operations"]["tested"],
        "test_cases": result["test_cases"]["generated"],
        "failures": result["test_cases"]["unique_failures"],
        "errors": len(result["errors"]),
        "seconds": round(result["running_time"], 1),
        "exit_code": finished.returncode,
    }


async def seed(base: str) -> Traffic:
    async with aiohttp.ClientSession() as session:
        traffic = Traffic(session, base)
        for provider in PROVIDERS:
            await traffic.round(provider, TENANT)
    if traffic.unexpected:
        raise RuntimeError(f"seeding failed: {traffic.unexpected}")
    return traffic


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5 examples per operation (CI)")
    parser.add_argument("--examples", type=int, default=100, help="examples per operation (default 100)")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if args.quick:
        args.examples = 5
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        log = tmp / "mock.log"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        flags = ["--strict", "--rate-limits", "off", "--lifecycle", "immediate", "--seed", "1"]
        process, _ = start_mock(port, *flags, "--callback-allowlist", "127.0.0.1", log=log)
        try:
            traffic = asyncio.run(seed(base))
            runs = [
                run_target(t, base, traffic.known.get(t.provider, {}), args, tmp)
                for t in targets(traffic.tokens)
            ]
            limit = 4 if args.quick else 1000  # properties and parameters per operation
            hostile_runs = [
                asyncio.run(hostile.run(base, t.provider, t.base, t.headers, limit))
                for t in targets(traffic.tokens)
            ]
            hostile_sent = sum(sent for sent, _ in hostile_runs)
            hostile_findings = [f for _, found in hostile_runs for f in found]
        finally:
            stop(process)
        logged = log.read_text(errors="replace")
    figures = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "examples_per_operation": args.examples,
        "seed": args.seed,
        "runs": runs,
        "total": {k: sum(r[k] for r in runs) for k in ("operations", "test_cases", "failures", "errors")},
        "hostile_requests": hostile_sent,
        "hostile_findings": hostile_findings,
        "spec_violations_logged": logged.count("response breaks the spec"),
        "unhandled_errors_logged": logged.count("unhandled error"),
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    bad = figures["total"]["failures"] + figures["total"]["errors"]
    bad += figures["spec_violations_logged"] + figures["unhandled_errors_logged"]
    bad += sum(r["exit_code"] != 0 for r in runs) + len(hostile_findings)
    if bad:
        sys.exit(f"fuzzing found problems; the mock's log:\n{logged[-6000:]}")


if __name__ == "__main__":
    main()
