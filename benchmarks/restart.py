"""--state-file restarts: how long a mock with a long history takes to answer again, with snapshots.

usage: python benchmarks/restart.py [--quick] [--writes 100000] [--json PATH]

One live server on 127.0.0.1 (tuimprenta only, rate limits off) takes `--writes` invoices from eight
concurrent clients. Then, each time counting the invoices it lists afterwards (all must be there):
1. `kill -9` right after the last write is acknowledged, and a restart: the snapshot taken during the
   burst plus the writes after it;
2. a clean stop (SIGTERM, which takes a last snapshot) and a restart: the snapshot alone;
3. the snapshot deleted and a restart: the whole write log replayed, as every restart did before
   snapshots (the peer figure).
The time is from the process's start to its first 200 on /__admin/health.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
from live import free_port, start_mock, stop
from persistence import KEY, burst


async def count(base: str) -> int:
    found, cursor = 0, ""
    async with aiohttp.ClientSession() as session:
        while True:
            url = f"{base}/tuimprenta/v1/invoices?limit=100{cursor}"
            async with session.get(url, headers=KEY) as response:
                page = await response.json()
            found += len(page["data"])
            if not page["next_cursor"]:
                return found
            cursor = f"&starting_after={page['next_cursor']}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3,000 writes: a smoke run for CI")
    parser.add_argument("--writes", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    writes = 3000 if args.quick else args.writes
    results: dict[str, Any] = {"writes": writes}
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.sqlite"
        flags = ("--providers", "tuimprenta", "--rate-limits", "off", "--state-file", str(state))

        def restart(name: str) -> tuple[Any, str]:
            port = free_port()
            process, took = start_mock(port, *flags, timeout=600)
            base = f"http://127.0.0.1:{port}"
            results[name] = {"seconds_to_healthy": round(took, 3), "invoices": asyncio.run(count(base))}
            assert results[name]["invoices"] == writes, results
            return process, base

        port = free_port()
        process, _ = start_mock(port, *flags, timeout=600)
        results["writes_per_s"] = asyncio.run(burst(port, writes, clients=8))["writes_per_s"]
        os.killpg(process.pid, signal.SIGKILL)  # the child taking a snapshot too, if one is
        process.wait()
        results["state_file_bytes"] = state.stat().st_size
        process, _ = restart("after_kill_9")
        stop(process)
        results["snapshot_bytes"] = Path(f"{state}-snapshot").stat().st_size
        process, _ = restart("after_clean_stop")
        stop(process)
        Path(f"{state}-snapshot").unlink()
        process, _ = restart("whole_log_replayed")
        stop(process)
    results["ratio_whole_log_to_snapshot"] = round(
        results["whole_log_replayed"]["seconds_to_healthy"]
        / results["after_clean_stop"]["seconds_to_healthy"],
        1,
    )
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
