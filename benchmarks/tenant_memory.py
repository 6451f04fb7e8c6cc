"""What one tenant's traffic costs the mock in memory: RSS after 50,000 requests and after 20,000
sessions of one user, against the bounds ROBUSTNESS.md states.

usage: python benchmarks/tenant_memory.py [--quick] [--json PATH]

One mock on loopback, 16 connections. After a warm-up, three phases, each measured as the mock's RSS
growth over the phase:
- `reads`: 50,000 requests from one sandbox that store nothing (Bsale and tuimprenta lists and reads,
  a missing document, a bad body), so anything that grows is kept per request;
- `sandboxes`: 50,000 reads, each with a credential never seen before (every request a new sandbox
  that writes nothing);
- `sessions`: 20,000 Hacienda logins of one user (the IdP keeps 100 sessions a user).
Fails when a phase grows past its bound. --quick (CI): a tenth of each, no verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from live import free_port, start_mock, stop
from soak import rss_mb

CONNECTIONS = 16
BOUNDS_MB = {"reads": 12, "sandboxes": 16, "sessions": 8}  # ROBUSTNESS.md states these
TOKEN = "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token"


def _reads(n: int) -> list[tuple[str, str, dict[str, str], Any]]:
    bsale = {"access_token": "memory-tenant"}
    ti = {"Authorization": "Bearer ti_test_memory"}
    shapes = [
        ("GET", "/bsale/v1/documents.json?limit=5", bsale, None),
        ("GET", "/bsale/v1/documents/999999.json", bsale, None),
        ("GET", "/bsale/v1/clients.json?limit=3&expand=[attributes]", bsale, None),
        ("GET", "/tuimprenta/v1/invoices?limit=5", ti, None),
        ("POST", "/tuimprenta/v1/invoices", ti, {"series": 1}),  # refused: nothing stored
    ]
    return list(itertools.islice(itertools.cycle(shapes), n))


def _sandboxes(n: int) -> list[tuple[str, str, dict[str, str], Any]]:
    return [("GET", "/bsale/v1/documents.json?limit=1", {"access_token": f"new-{i}"}, None) for i in range(n)]


def _sessions(n: int) -> list[tuple[str, str, dict[str, str], Any]]:
    form = {"grant_type": "password", "client_id": "api-stag", "username": "one-user", "password": "x"}
    return [("POST", TOKEN, {}, form)] * n


async def _run(base: str, calls: list[tuple[str, str, dict[str, str], Any]]) -> dict[int, int]:
    statuses: dict[int, int] = {}
    queue = iter(calls)
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as client:

        async def worker() -> None:
            for method, path, headers, body in queue:
                sent = {"data": body} if path == TOKEN else {"json": body}
                async with client.request(method, path, headers=headers, **sent) as answer:
                    await answer.read()
                    statuses[answer.status] = statuses.get(answer.status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return statuses


async def measure(base: str, pid: int, scale: float) -> dict[str, Any]:
    await _run(base, _reads(2_000) + _sessions(200) + _sandboxes(2_000))  # warm-up: caches, first imports
    phases: dict[str, Any] = {}
    for name, calls in [
        ("reads", _reads(int(50_000 * scale))),
        ("sandboxes", _sandboxes(int(50_000 * scale))),
        ("sessions", _sessions(int(20_000 * scale))),
    ]:
        before = rss_mb(pid)
        statuses = await _run(base, calls)
        after = rss_mb(pid)
        phases[name] = {
            "requests": len(calls),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "rss_before_mb": round(before, 1),
            "rss_after_mb": round(after, 1),
            "growth_mb": round(after - before, 1),
            "bound_mb": BOUNDS_MB[name],
        }
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of each phase, no verdict (CI)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    port = free_port()
    process, _ = start_mock(port, "--rate-limits", "off")  # every request does its work: none is turned away
    try:
        phases = asyncio.run(measure(f"http://127.0.0.1:{port}", process.pid, 0.1 if args.quick else 1.0))
    finally:
        stop(process)
    figures = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "command": "python benchmarks/tenant_memory.py",
        "phases": phases,
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    errors = [
        f"{n}: {p['statuses']}" for n, p in phases.items() if any(k.startswith("5") for k in p["statuses"])
    ]
    over = [
        f"{n} grew {p['growth_mb']} MB (bound {p['bound_mb']})"
        for n, p in phases.items()
        if p["growth_mb"] > p["bound_mb"]
    ]
    if errors or (over and not args.quick):
        sys.exit("tenant memory failed: " + "; ".join(errors + over))


if __name__ == "__main__":
    main()
