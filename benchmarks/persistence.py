"""--state-file: what durability costs per write, and how long a restart takes to replay the log.

usage: python benchmarks/persistence.py [--quick] [--writes 2000] [--json PATH]

Two live servers on 127.0.0.1 (tuimprenta only, rate limits off): one in memory, one with
`--state-file` (SQLite WAL, synchronous=FULL: an fsync per acknowledged write). Four concurrent
clients create invoices; then the file-backed server is restarted and the time until it answers
/__admin/health again is the replay of every write.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from live import free_port, start_mock, stop

KEY = {"Authorization": "Bearer ti_test_key"}
INVOICE = {
    "series": "B",
    "customer": {"name": "Bench C.A.", "tax_id": "J-12345678-4"},
    "items": [{"description": "x", "qty": 1, "unit_price": 10}],
}


def start(port: int, *extra: str) -> tuple[subprocess.Popen[bytes], float]:
    return start_mock(port, "--providers", "tuimprenta", "--rate-limits", "off", *extra, timeout=120)


async def burst(port: int, writes: int, clients: int = 4) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}/tuimprenta/v1/invoices"
    latencies: list[float] = []

    async def client(session: aiohttp.ClientSession, count: int) -> None:
        for _ in range(count):
            sent = time.perf_counter()
            async with session.post(url, json=INVOICE, headers=KEY) as response:
                assert response.status == 201, await response.text()
                await response.read()
            latencies.append(time.perf_counter() - sent)

    began = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session, writes // clients) for _ in range(clients)))
    took = time.perf_counter() - began
    latencies.sort()
    return {
        "writes_per_s": round(len(latencies) / took, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="200 writes: a smoke run for CI")
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    writes = 200 if args.quick else args.writes
    results: dict[str, Any] = {"writes": writes}
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.sqlite"
        for name, extra in (("memory", ()), ("state_file", ("--state-file", str(state)))):
            port = free_port()
            process, _ = start(port, *extra)
            try:
                results[name] = asyncio.run(burst(port, writes))
            finally:
                stop(process)
        process, took = start(free_port(), "--state-file", str(state))
        stop(process)
        process, empty = start(free_port())
        stop(process)
        results["restart_to_healthy_s"] = round(took, 3)
        results["start_without_state_s"] = round(empty, 3)
        results["state_file_bytes"] = state.stat().st_size
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
