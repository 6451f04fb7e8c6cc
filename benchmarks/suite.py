"""The whole benchmark suite: mockserver side by side with Prism, WireMock and a bare aiohttp handler.

usage: python benchmarks/suite.py [--quick] [--json PATH]

Peers are installed from npm into a cache directory outside the repository ($MOCKSERVER_BENCH_PEERS,
default <tmp>/mockserver-bench-peers): Prism serves our own specs/ document for each endpoint,
WireMock and the bare aiohttp app answer with the response mockserver gave for the same request
(recorded at the start of the run). autocannon drives every server with the same keep-alive
connections, warm-up and duration. Every figure is also given as a ratio to the peers measured in
the same run, since absolute numbers drift on a shared machine.

--quick: mockserver and the bare handler only (autocannon is still installed), short runs, small
sizes; a smoke test for CI that fails on errors, never on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from live import ROOT, free_port, receiver, start, stop

HERE = Path(__file__).resolve().parent
PEERS = {"@stoplight/prism-cli": "5.14.2", "wiremock": "3.13.2", "autocannon": "9.0.0"}
KEY = "bench_key"
TOKEN_FORM = "grant_type=client_credentials&client_id=sandbox-public&client_secret=sandbox-public-secret"
INVOICE = {
    "series": "B",
    "customer": {"name": "Bench C.A.", "tax_id": "J-12345678-4"},
    "items": [{"description": "Tarjetas", "qty": 1, "unit_price": 12, "tax_rate": 0.16}],
}
FACTURA = {
    "documentTypeId": 8,
    "clientId": 24,
    "details": [{"variantId": 1, "netUnitValue": 23438, "quantity": 1, "taxId": "[1]"}],
}


@dataclass
class Scenario:
    name: str
    provider: str  # whose spec Prism serves
    method: str
    path: str  # relative to the provider's root, as on its real host
    headers: dict[str, str]
    body: str | None = None
    unique_header: str | None = None
    recorded: dict[str, Any] = field(default_factory=dict)


SCENARIOS = [
    Scenario(
        "token",
        "avenio",
        "POST",
        "/api/v1/connect/token",
        {"Content-Type": "application/x-www-form-urlencoded"},
        TOKEN_FORM,
    ),
    Scenario("get", "bsale", "GET", "/v1/documents/{id}.json", {"access_token": KEY}),
    Scenario("list", "bsale", "GET", "/v1/documents.json?limit=25&documenttypeid=8", {"access_token": KEY}),
    Scenario(
        "create",
        "tuimprenta",
        "POST",
        "/v1/invoices",
        {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        json.dumps(INVOICE),
        unique_header="Idempotency-Key",
    ),
]
MOUNTS = {"avenio": "/avenio", "bsale": "/bsale", "tuimprenta": "/tuimprenta"}


def peers_dir() -> Path:
    return Path(
        os.environ.get("MOCKSERVER_BENCH_PEERS", Path(tempfile.gettempdir()) / "mockserver-bench-peers")
    )


def ensure_peers(names: list[str]) -> Path:
    where = peers_dir()
    where.mkdir(parents=True, exist_ok=True)
    missing = [n for n in names if not (where / "node_modules" / n / "package.json").exists()]
    if missing:
        print(f"installing {', '.join(missing)} into {where}", file=sys.stderr)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(where)]
            + [f"{n}@{PEERS[n]}" for n in missing],
            check=True,
        )
    return where


def tree_hwm_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of a process and its children (npm wrappers start java or node)."""
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(status.split("VmHWM:")[1].split()[0]) / 1024
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, IndexError):
            continue
        pids += [int(c) for c in children]
    return round(total, 1)


@contextmanager
def server(command: list[str], health: str) -> Iterator[int]:
    """Up until `health` answers anything (a peer's 404 counts: it is serving); stopped afterwards."""
    process, _ = start(command, health, timeout=90, any_status=True)
    try:
        yield process.pid
    finally:
        stop(process)


def call(url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def load(peers: Path, url: str, scenario: Scenario, connections: int, seconds: float) -> dict[str, Any]:
    config = {
        "url": url,
        "method": scenario.method,
        "headers": scenario.headers,
        "body": scenario.body,
        "connections": connections,
        "duration": seconds,
        "uniqueHeader": scenario.unique_header,
    }
    out = subprocess.run(
        ["node", str(HERE / "peers" / "load.mjs"), json.dumps(config)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_PEERS": str(peers)},
    )
    figures: dict[str, Any] = json.loads(out.stdout)
    return figures


def run_scenarios(
    peers: Path, base: str, pid: int, paths: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for scenario in SCENARIOS:
        url = base + paths[scenario.name]
        load(peers, url, scenario, args.connections, args.warmup)  # warm-up, not counted
        figures = load(peers, url, scenario, args.connections, args.seconds)
        bad = figures["errors"] + figures["timeouts"] + figures["non2xx"]
        if bad:
            raise SystemExit(f"{url}: {bad} errors or non-2xx answers under load: {figures}")
        results[scenario.name] = figures
    results["peak_rss_mb"] = tree_hwm_mb(pid)
    return results


# --- mockserver: prepare the data, record its answers for the peers ------------------------------


def prepare_mockserver(base: str) -> dict[str, str]:
    """Stored documents to read and list, a webhook endpoint for creations; answers each scenario's path."""
    for _ in range(30):
        document = call(f"{base}/bsale/v1/documents.json", "POST", FACTURA, {"access_token": KEY})
    paths = {}
    for scenario in SCENARIOS:
        path = scenario.path.replace("{id}", str(document["id"]))
        paths[scenario.name] = MOUNTS[scenario.provider] + path
        request = urllib.request.Request(
            base + paths[scenario.name],
            data=scenario.body.encode() if scenario.body else None,
            method=scenario.method,
            headers={
                **scenario.headers,
                **({scenario.unique_header: "recording"} if scenario.unique_header else {}),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            scenario.recorded = {
                "method": scenario.method,
                "path": path.split("?")[0],
                "status": response.status,
                "content_type": response.headers.get_content_type(),
                "body": response.read().decode(),
            }
    return paths


async def webhook_rate(base: str, count: int) -> dict[str, Any]:
    """Deliveries per second to a local receiver: hold `count` invoice.issued events, then release them."""
    received = 0
    done = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        nonlocal received
        await request.read()
        received += 1
        if received >= count:
            done.set()
        return web.Response()

    runner, receiver_url = await receiver("/hook", hook)
    tenant = "hooks_key"
    loop = asyncio.get_running_loop()

    def prepare() -> None:
        call(
            f"{base}/__admin/actions/tuimprenta/webhooks",
            "POST",
            {"tenant": tenant, "url": f"{receiver_url}/hook"},
        )
        call(f"{base}/__admin/webhooks/pause", "POST", {})
        for _ in range(count):
            call(f"{base}/tuimprenta/v1/invoices", "POST", INVOICE, {"Authorization": f"Bearer {tenant}"})

    await loop.run_in_executor(None, prepare)
    began = time.perf_counter()
    await loop.run_in_executor(None, lambda: call(f"{base}/__admin/webhooks/resume", "POST", {}))
    await asyncio.wait_for(done.wait(), 120)
    took = time.perf_counter() - began
    await runner.cleanup()
    return {"deliveries": count, "seconds": round(took, 3), "per_second": round(count / took, 1)}


# --- the runs -------------------------------------------------------------------------------------


def run_mockserver(peers: Path, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mockserver", "--port", str(port), "--rate-limits", "off"]
    command += ["--log-level", "warning", "--seed", "1"]
    with server(command, f"{base}/__admin/health") as pid:
        paths = prepare_mockserver(base)
        results = run_scenarios(peers, base, pid, paths, args)
        results["webhooks"] = asyncio.run(webhook_rate(base, 200 if args.quick else 2000))
    return results


def run_bare(peers: Path, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    stubs = tmp / "stubs.json"
    stubs.write_text(json.dumps([s.recorded for s in SCENARIOS]))
    port = free_port()
    with server(
        [sys.executable, str(HERE / "peers" / "bare.py"), str(port), str(stubs)],
        f"http://127.0.0.1:{port}/health",
    ) as pid:
        return run_scenarios(peers, f"http://127.0.0.1:{port}", pid, _peer_paths(), args)


def run_wiremock(peers: Path, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = ["node", str(peers / "node_modules" / "wiremock" / "index.js"), "--port", str(port)]
    command += ["--disable-banner", "--root-dir", str(tmp / "wiremock"), "--no-request-journal"]
    (tmp / "wiremock").mkdir(exist_ok=True)
    with server(command, f"{base}/__admin/health") as pid:
        for s in SCENARIOS:
            stub = s.recorded
            call(
                f"{base}/__admin/mappings",
                "POST",
                {
                    "request": {"method": stub["method"], "urlPath": stub["path"]},
                    "response": {
                        "status": stub["status"],
                        "headers": {"Content-Type": stub["content_type"]},
                        "body": stub["body"],
                    },
                },
            )
        return run_scenarios(peers, base, pid, _peer_paths(), args)


def run_prism(peers: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One Prism per spec (it serves one document); peak RSS is the largest of them."""
    results: dict[str, Any] = {"peak_rss_mb": 0.0}
    for provider in dict.fromkeys(s.provider for s in SCENARIOS):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = ["node", str(peers / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js")]
        command += ["mock", str(ROOT / "specs" / provider / "openapi.yaml"), "-p", str(port), "-v", "error"]
        mine = [s for s in SCENARIOS if s.provider == provider]
        with server(command, f"{base}/__prism_health") as pid:
            paths = _peer_paths()
            for scenario in mine:
                url = base + paths[scenario.name]
                load(peers, url, scenario, args.connections, args.warmup)
                figures = load(peers, url, scenario, args.connections, args.seconds)
                figures["non2xx_share"] = round(figures["non2xx"] / max(figures["total"], 1), 3)
                results[scenario.name] = figures
            results["peak_rss_mb"] = max(results["peak_rss_mb"], tree_hwm_mb(pid))
    return results


def _peer_paths() -> dict[str, str]:
    paths = {}
    for s in SCENARIOS:
        query = s.path.partition("?")[2]
        paths[s.name] = s.recorded["path"] + (f"?{query}" if query else "")
    return paths


def run_script(name: str, quick: bool, tmp: Path) -> dict[str, Any]:
    out = tmp / f"{name}.json"
    command = [sys.executable, str(HERE / f"{name}.py"), "--json", str(out)]
    subprocess.run(command + (["--quick"] if quick else []), cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    mine = results["servers"]["mockserver"]
    table: dict[str, Any] = {}
    for scenario in SCENARIOS:
        row = {}
        for peer, figures in results["servers"].items():
            if peer != "mockserver" and scenario.name in figures:
                row[f"rps_vs_{peer}"] = round(mine[scenario.name]["rps"] / figures[scenario.name]["rps"], 2)
        table[scenario.name] = row
    return table


def targets(results: dict[str, Any]) -> dict[str, Any]:
    servers, scripts = results["servers"], results["scripts"]
    get = servers["mockserver"]["get"]
    checks: dict[str, Any] = {
        "startup_s <= 0.5": scripts["hacienda"]["startup_s_median"] <= 0.5,
        "idle_rss_mb <= 60": scripts["hacienda"]["idle_rss_mb_median"] <= 60,
        "get p99_ms <= 10": get["p99_ms"] <= 10,
        "get rps >= 50% bare": get["rps"] >= 0.5 * servers["bare_aiohttp"]["get"]["rps"],
        "batch_10k_s <= 10": scripts["tuimprenta_batch"].get("end_to_end_s", 0) <= 10,
    }
    if "prism" in servers:
        checks["get rps >= 2x prism"] = get["rps"] >= 2 * servers["prism"]["get"]["rps"]
    if "wiremock" in servers:
        checks["get rps >= 1x wiremock"] = get["rps"] >= servers["wiremock"]["get"]["rps"]
    rss = scripts["bsale_scale"].get("max_rss_mb")
    if rss is not None and not results["quick"]:
        checks["rss_100k_docs_mb <= 200"] = rss <= 200
    return checks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--quick", action="store_true", help="smoke run for CI: mockserver and bare aiohttp, short"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    args.connections = 10
    args.seconds = 1 if args.quick else 10
    args.warmup = 0.5 if args.quick else 2
    peers = ensure_peers(["autocannon"] if args.quick else list(PEERS))
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "quick": args.quick,
        "connections": args.connections,
        "seconds": args.seconds,
        "servers": {},
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        results["servers"]["mockserver"] = run_mockserver(peers, args)
        results["servers"]["bare_aiohttp"] = run_bare(peers, args, tmp)
        if not args.quick:
            results["servers"]["wiremock"] = run_wiremock(peers, args, tmp)
            results["servers"]["prism"] = run_prism(peers, args)
        results["scripts"] = {
            name: run_script(name, args.quick, tmp)
            for name in ("hacienda", "bsale_scale", "tuimprenta_batch")
        }
    results["ratios"] = ratios(results)
    results["targets"] = targets(results)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
