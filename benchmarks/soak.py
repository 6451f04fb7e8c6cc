"""Soak: mixed traffic across all five providers at a steady rate, on loopback, for minutes.

usage: python benchmarks/soak.py [--minutes 10] [--rate 15] [--quick] [--json PATH]

Every 1/rate seconds one round starts (traffic.py: sign in, create, read back, list) on the next
provider in turn, in one of 8 sandboxes per provider. As a test suite's fixture does between tests,
each sandbox is reset through the control plane after 20 rounds and starts afresh under a new name,
so stored state stays bounded and any growth left is a leak. Created resources ask for webhooks to a
local receiver. The mock runs with the providers' own rate limits scaled 10x (counted, not tripped)
and its journal at the default 1,000 entries.

Figures: requests by status, unexpected answers (anything a client would not expect: a 5xx, a 429,
a 4xx on a valid request), late ticks, webhook deliveries received, the mock's RSS every 10 s.
Fails on any unexpected answer, or when RSS in the last third of the run exceeds the middle third's
by more than 10 % (growth after warm-up). --quick (CI): 20 seconds at the same rate, no RSS verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from live import free_port, receiver, start_mock, stop
from traffic import PROVIDERS, Traffic

SANDBOXES = 8
ROUNDS_PER_SANDBOX = 20
RESET_TENANT = {  # how the control plane names the sandbox a traffic tenant lands in
    "hacienda": "rut-stag/{}",
    "avenio": "{}",
    "bsale": "{}",
    "tupana": "sandbox_{}",
    "tuimprenta": "{}",
}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def counting_receiver() -> tuple[web.AppRunner, str, Counter[str]]:
    received: Counter[str] = Counter()

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        received[request.match_info["provider"]] += 1
        return web.Response()

    runner, base = await receiver("/hook/{provider}", hook)
    return runner, f"{base}/hook", received


async def soak(base: str, pid: int, seconds: float, rate: float) -> dict[str, Any]:
    runner, hook, received = await counting_receiver()
    samples: list[tuple[float, float]] = []
    late = 0
    generation: Counter[tuple[str, int]] = Counter()  # resets so far, per provider and sandbox
    rounds: Counter[tuple[str, int]] = Counter()
    pending: set[asyncio.Task[None]] = set()
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        traffics = {p: Traffic(session, base, hook_url=f"{hook}/{p}") for p in PROVIDERS}

        async def one(provider: str, slot: int) -> None:
            tenant = f"soak{slot}g{generation[(provider, slot)]}"
            await traffics[provider].round(provider, tenant)
            rounds[(provider, slot)] += 1
            if rounds[(provider, slot)] % ROUNDS_PER_SANDBOX == 0:
                generation[(provider, slot)] += 1  # later rounds go to a fresh sandbox at once
                body = {"provider": provider, "tenant": RESET_TENANT[provider].format(tenant)}
                await traffics[provider].call("POST", "/__admin/reset", (200,), json=body)

        began = time.perf_counter()
        tick = 0
        next_sample = 0.0
        while (now := time.perf_counter() - began) < seconds:
            if now >= next_sample:
                samples.append((round(now, 1), round(rss_mb(pid), 1)))
                next_sample += 10
            provider = PROVIDERS[tick % len(PROVIDERS)]
            slot = (tick // len(PROVIDERS)) % SANDBOXES
            task = asyncio.create_task(one(provider, slot))
            pending.add(task)
            task.add_done_callback(pending.discard)
            tick += 1
            delay = tick / rate - (time.perf_counter() - began)
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                late += 1
        await asyncio.gather(*pending)
        await asyncio.sleep(3)  # the last webhooks
        samples.append((round(time.perf_counter() - began, 1), round(rss_mb(pid), 1)))
    await runner.cleanup()
    statuses: Counter[int] = Counter()
    unexpected: list[str] = []
    for traffic in traffics.values():
        statuses.update(traffic.statuses)
        unexpected += traffic.unexpected
    return {
        "seconds": round(seconds),
        "rounds_per_second": rate,
        "rounds": tick,
        "requests": sum(statuses.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "unexpected": len(unexpected),
        "unexpected_first": unexpected[:10],
        "late_ticks": late,
        "webhooks_received": dict(received),
        "rss_mb": samples,
    }


def verdict(figures: dict[str, Any], quick: bool) -> list[str]:
    problems = [f"{figures['unexpected']} unexpected answers"] if figures["unexpected"] else []
    rss = [mb for _, mb in figures["rss_mb"]]
    if not quick and len(rss) >= 6:
        third = len(rss) // 3
        middle, last = max(rss[third : 2 * third]), max(rss[2 * third :])
        figures["rss_growth_after_warmup"] = round(last / middle - 1, 3)
        if last > middle * 1.10:
            problems.append(f"RSS grew from {middle} MB to {last} MB after warm-up")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=15, help="rounds started per second (default 15)")
    parser.add_argument("--quick", action="store_true", help="20 seconds, no RSS verdict (CI)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    seconds = 20 if args.quick else args.minutes * 60
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process, _ = start_mock(port, "--rate-limits", "10x")
    try:
        figures = asyncio.run(soak(base, process.pid, seconds, args.rate))
    finally:
        stop(process)
    figures = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        **figures,
    }
    problems = verdict(figures, args.quick)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    if problems:
        sys.exit("soak failed: " + "; ".join(problems))


if __name__ == "__main__":
    main()
