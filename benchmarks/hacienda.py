"""Start-up time, idle memory and sustained GET /recepcion/{clave} throughput of a live mockserver.

usage: python benchmarks/hacienda.py [--quick] [--connections 10] [--seconds 10] [--json PATH]

The server runs as its own process on 127.0.0.1 with every provider enabled and rate limits on but
scaled (1000x) so that every response still carries X-Ratelimit-* headers without refusing the load.
The load generator is an aiohttp client in this process; both share the machine's 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from live import free_port, start, start_mock, stop  # noqa: E402

from mockserver.core.services.keys import load_signing_key  # noqa: E402
from mockserver.providers.hacienda import sample  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# the peer: a bare aiohttp app with one health route, started and measured the same way
BARE = """
import sys
from aiohttp import web
app = web.Application()
app.router.add_get("/__admin/health", lambda request: web.json_response({"status": "ok"}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


def measure_startup(runs: int) -> dict[str, float]:
    """The mock and the bare aiohttp app alternately, `runs` times each: start-up to a healthy answer
    and idle memory, with the mock's start-up as a ratio to the bare app's in the same run."""
    times, rss, bare_times, bare_rss = [], [], [], []
    for _ in range(runs):
        process, seconds = start_mock(free_port())
        time.sleep(0.5)  # idle: let start-up garbage settle
        times.append(seconds)
        rss.append(rss_mb(process.pid))
        stop(process)
        port = free_port()
        bare, seconds = start(
            [sys.executable, "-c", BARE, str(port)], f"http://127.0.0.1:{port}/__admin/health"
        )
        time.sleep(0.5)
        bare_times.append(seconds)
        bare_rss.append(rss_mb(bare.pid))
        stop(bare)
    return {
        "startup_s_median": statistics.median(times),
        "startup_s_max": max(times),
        "idle_rss_mb_median": statistics.median(rss),
        "bare_aiohttp_startup_s_median": statistics.median(bare_times),
        "bare_aiohttp_idle_rss_mb_median": statistics.median(bare_rss),
        "startup_vs_bare_aiohttp": round(statistics.median(times) / statistics.median(bare_times), 2),
    }


async def load(
    base: str, headers: dict[str, str], path: str, connections: int, seconds: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(base, connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                async with session.get(path) as response:
                    await response.read()
                    if response.status != 200 or "X-Ratelimit-Remaining" not in response.headers:
                        errors += 1
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def measure_throughput(connections: int, seconds: float) -> dict[str, Any]:
    port = free_port()
    process, _ = start_mock(port, "--rate-limits", "1000x")
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(base) as session:
            form = {"grant_type": "password", "client_id": "api-stag", "username": "bench", "password": "x"}
            async with session.post(
                "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token", data=form
            ) as r:
                token = (await r.json())["access_token"]
            headers = {"Authorization": f"bearer {token}"}
            s = sample.Sample()
            body = sample.body(s, load_signing_key(None, time.time()))
            async with session.post(
                "/hacienda/recepcion-sandbox/v1/recepcion", json=body, headers=headers
            ) as r:
                assert r.status == 201, r.headers.get("X-Error-Cause")
        path = f"/hacienda/recepcion-sandbox/v1/recepcion/{s.clave}"
        await load(base, headers, path, connections, min(1.0, seconds))  # warm-up
        result = await load(base, headers, path, connections, seconds)
        result["server_rss_mb_after"] = rss_mb(process.pid)
        return result
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 start-up, 2 s of load")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--startups", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    startups, seconds = (1, 2.0) if args.quick else (args.startups, args.seconds)
    figures: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "quick": args.quick}
    figures.update(measure_startup(startups))
    figures["get_recepcion"] = asyncio.run(measure_throughput(args.connections, seconds))
    figures["get_recepcion"]["connections"] = args.connections
    figures["get_recepcion"]["seconds"] = seconds
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    # a smoke run judges only that everything answered, never absolute time
    if figures["get_recepcion"]["errors"] or not figures["get_recepcion"]["requests"]:
        raise SystemExit("benchmark saw errors")


if __name__ == "__main__":
    main()
