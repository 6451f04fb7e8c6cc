"""The whole benchmark suite: mockserver side by side with a bare aiohttp handler, WireMock and Prism.

usage: python benchmarks/suite.py [--quick] [--json PATH]

wrk (Debian's; one thread, 10 keep-alive connections, a Lua script per scenario, 2 s of warm-up then
10 s counted) drives every server the same way. The bare aiohttp app and WireMock answer with the
response mockserver gave for the same request (recorded at the start of the run); Prism serves our
own specs/ document. mockserver and the bare app run on each event loop, uvloop and asyncio's own,
and every ratio is to the bare app on the same loop: absolute numbers drift on a shared machine. The
token endpoint is also given as a share of what one core signs (RS256, the same key, PyJWT alone),
measured in this process in the same run. WireMock and Prism come from npm, installed into a cache
directory outside the repository ($MOCKSERVER_BENCH_PEERS, default <tmp>/mockserver-bench-peers).

--quick: mockserver and the bare handler on the default loop only, short runs, small sizes; a smoke
test for CI that fails on errors, never on time.
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

import wrk
from aiohttp import web
from live import ROOT, free_port, receiver, start, stop

HERE = Path(__file__).resolve().parent
PEERS = {"@stoplight/prism-cli": "5.14.2", "wiremock": "3.13.2"}
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


def load(
    url: str, scenario: Scenario, args: argparse.Namespace, *, any_status: bool = False
) -> dict[str, Any]:
    """wrk against one scenario at `url` (a base and a path): a warm-up, then the counted run."""
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    script = scenario_script(args.tmp, scenario, "/" + path)
    return wrk.run(
        f"{scheme}://{host}",
        script,
        connections=args.connections,
        seconds=args.seconds,
        warmup=args.warmup,
        any_status=any_status,
    )


def scenario_script(tmp: Path, scenario: Scenario, path: str) -> Path:
    """The wrk script that sends `scenario`'s request to `path`, in `tmp`."""
    return wrk.script(
        tmp / f"{scenario.name}.lua",
        method=scenario.method,
        paths=[path],
        headers=scenario.headers,
        body=scenario.body,
        unique_header=scenario.unique_header,
    )


def run_scenarios(base: str, pid: int, paths: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        name: load(base + path, scenario_named(name), args) for name, path in paths.items()
    }
    results["peak_rss_mb"] = tree_hwm_mb(pid)
    return results


def scenario_named(name: str) -> Scenario:
    return next(s for s in SCENARIOS if s.name == name)


def signing_rate(key_file: Path, seconds: float) -> dict[str, Any]:
    """What one core signs, RS256 with the mock's key through PyJWT alone: the token endpoint's limit."""
    import jwt
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(key_file.read_bytes(), password=None)
    claims = {"iss": "bench", "sub": "sandbox-public", "aud": "bench", "iat": 0, "exp": 3600, "scope": "all"}
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench"})  # type: ignore[arg-type]
        count += 1
    took = time.perf_counter() - began
    return {"signs": count, "seconds": round(took, 3), "per_second": round(count / took, 1)}


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


def run_mockserver(args: argparse.Namespace, loop: str) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mockserver", "--port", str(port), "--rate-limits", "off"]
    command += ["--log-level", "warning", "--seed", "1", "--loop", loop, "--signing-key", str(args.key)]
    with server(command, f"{base}/__admin/health") as pid:
        paths = prepare_mockserver(base)
        results = run_scenarios(base, pid, paths, args)
        results["webhooks"] = asyncio.run(webhook_rate(base, 200 if args.quick else 2000))
    return results


def run_bare(args: argparse.Namespace, loop: str) -> dict[str, Any]:
    stubs = args.tmp / "stubs.json"
    stubs.write_text(json.dumps([s.recorded for s in SCENARIOS]))
    port = free_port()
    with server(
        [sys.executable, str(HERE / "peers" / "bare.py"), str(port), str(stubs), loop],
        f"http://127.0.0.1:{port}/health",
    ) as pid:
        return run_scenarios(f"http://127.0.0.1:{port}", pid, _peer_paths(), args)


def run_wiremock(peers: Path, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = ["node", str(peers / "node_modules" / "wiremock" / "index.js"), "--port", str(port)]
    command += ["--disable-banner", "--root-dir", str(args.tmp / "wiremock"), "--no-request-journal"]
    (args.tmp / "wiremock").mkdir(exist_ok=True)
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
        return run_scenarios(base, pid, _peer_paths(), args)


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
                # Prism answers some of them with its own 4xx: counted, and given as a share
                figures = load(base + paths[scenario.name], scenario, args, any_status=True)
                figures["non2xx_share"] = round(figures["non2xx"] / max(figures["requests"], 1), 3)
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
    """Each loop's mockserver to the bare app on the same loop, and to WireMock (one loop of its own)."""
    servers, table = results["servers"], {}
    for loop in results["loops"]:
        mine, rows = servers[f"mockserver ({loop})"], {}
        for scenario in SCENARIOS:
            row = {}
            for peer in (f"bare_aiohttp ({loop})", "wiremock", "prism"):
                if scenario.name in servers.get(peer, {}):
                    row[f"vs {peer}"] = round(
                        mine[scenario.name]["rps"] / servers[peer][scenario.name]["rps"], 2
                    )
            rows[scenario.name] = row
        rows["token vs PyJWT signing"] = round(mine["token"]["rps"] / results["pyjwt_rs256"]["per_second"], 2)
        table[loop] = rows
    return table


def targets(results: dict[str, Any]) -> dict[str, Any]:
    """The bars of issue 29, on the default loop."""
    loop = results["loops"][0]
    row, scripts = results["ratios"][loop], results["scripts"]
    bare = f"vs bare_aiohttp ({loop})"
    checks: dict[str, Any] = {
        "get >= 0.45x bare": row["get"][bare] >= 0.45,
        "list >= 0.5x bare": row["list"][bare] >= 0.5,
        "create >= 0.25x bare": row["create"][bare] >= 0.25,
        "token >= 70% of PyJWT's RS256 signing": row["token vs PyJWT signing"] >= 0.7,
        "startup <= 1.3x bare": scripts["hacienda"]["startup_vs_bare_aiohttp"] <= 1.3,
        "idle_rss_mb <= 45": scripts["hacienda"]["idle_rss_mb_median"] <= 45,
        "batch_10k_s <= 10": scripts["tuimprenta_batch"].get("end_to_end_s", 0) <= 10,
    }
    if "wiremock" in results["servers"]:
        checks["get >= 1x wiremock"] = row["get"]["vs wiremock"] >= 1
    rss = scripts["bsale_scale"].get("max_rss_mb")
    if rss is not None and not results["quick"]:
        checks["rss_100k_docs_mb <= 200"] = rss <= 200
    return checks


def signing_key(tmp: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp / "signing-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--quick", action="store_true", help="smoke run for CI: mockserver and bare aiohttp, short"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    if not wrk.available():
        raise SystemExit("suite.py needs wrk: apt-get install wrk")
    args.connections = 10
    args.seconds = 1 if args.quick else 10
    args.warmup = 1 if args.quick else 2
    loops = ["uvloop", "asyncio"] if _has_uvloop() else ["asyncio"]
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "quick": args.quick,
        "load": f"wrk -t1 -c{args.connections}, {args.warmup:g} s warm-up, {args.seconds:g} s counted",
        "loops": loops[:1] if args.quick else loops,
        "servers": {},
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        args.tmp = Path(tmp_name)
        args.key = signing_key(args.tmp)
        results["pyjwt_rs256"] = signing_rate(args.key, 1 if args.quick else 5)
        for loop in results["loops"]:
            results["servers"][f"mockserver ({loop})"] = run_mockserver(args, loop)
            results["servers"][f"bare_aiohttp ({loop})"] = run_bare(args, loop)
        if not args.quick:
            peers = ensure_peers(list(PEERS))
            results["servers"]["wiremock"] = run_wiremock(peers, args)
            results["servers"]["prism"] = run_prism(peers, args)
        results["scripts"] = {
            name: run_script(name, args.quick, args.tmp)
            for name in ("hacienda", "bsale_scale", "tuimprenta_batch")
        }
    results["ratios"] = ratios(results)
    results["targets"] = targets(results)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
