"""What a test pays to get a fresh sandbox and clock from the fixture, beside what the old global reset
costs, against the in-process mock the pytest plugin starts.

usage: python benchmarks/fixture_overhead.py [--tests 300] [--json PATH]

Each "test" is the fixture's set-up and tear-down around one request, timed from the test's side (the
request itself is timed apart and taken off):
- `mockserver_sandbox`: a Sandbox made and entered (its test clock, attached to the five sandboxes),
  one tuimprenta request with its credentials, and closed (the clock deleted, the sandbox's controls
  and state reset);
- `mockserver` (the peer, run the same way beside it): the global reset, clock and controls reset the
  old fixture makes before each test, and the same request;
- `mockserver_sandbox` on a mock whose admin token the test is not given (a shared CI container): a
  clock per provider, each made and deleted with that sandbox's own credential.
Figures are milliseconds per test, median and 95th percentile.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mockserver.arguments import parse_rate_limits
from mockserver.client import Client
from mockserver.inprocess import InProcessServer
from mockserver.sandbox import Sandbox
from mockserver.settings import Settings


def _request(client: Client, headers: dict[str, str]) -> None:
    request = urllib.request.Request(client.url("tuimprenta") + "/v1/invoices", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _timed(run: Callable[[int], float], tests: int) -> dict[str, float]:
    costs = sorted(run(i) for i in range(tests))
    return {
        "median_ms": round(statistics.median(costs) * 1000, 2),
        "p95_ms": round(costs[int(len(costs) * 0.95)] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    limits = parse_rate_limits("off")  # as the plugin's in-process mock
    server = InProcessServer(Settings(log_level="warning", rate_limits=limits))
    server.start()
    try:
        client = Client(server.base_url)

        def request_alone(i: int) -> float:
            start = time.perf_counter()
            _request(client, {"Authorization": "Bearer ti_test_benchmark_request_only"})
            return time.perf_counter() - start

        def sandboxed(i: int) -> float:
            start = time.perf_counter()
            with Sandbox(client, f"benchmarks/fixture_overhead.py::test[{i}]", salt="bench") as box:
                _request(client, box.headers("tuimprenta"))
            return time.perf_counter() - start

        def globally_reset(i: int) -> float:
            start = time.perf_counter()
            client.reset()
            client.admin("POST", "/clock", {"freeze": False, "speed": 1})
            client.reset_controls()
            _request(client, {"Authorization": "Bearer ti_test_benchmark_global"})
            return time.perf_counter() - start

        for warm in (request_alone, sandboxed, globally_reset):
            _timed(warm, 20)
        alone = _timed(request_alone, args.tests)
        figures: dict[str, Any] = {"tests": args.tests, "request alone": alone}
        for name, run in (("mockserver_sandbox", sandboxed), ("mockserver (global reset)", globally_reset)):
            total = _timed(run, args.tests)
            figures[name] = {
                **total,
                "overhead_median_ms": round(total["median_ms"] - alone["median_ms"], 2),
            }
    finally:
        server.stop()
    guarded = InProcessServer(Settings(log_level="warning", rate_limits=limits, admin_token="not-given"))
    guarded.start()
    try:
        stranger = Client(guarded.base_url)

        def without_token(i: int) -> float:
            start = time.perf_counter()
            with Sandbox(stranger, f"benchmarks/fixture_overhead.py::test[{i}]", salt="bench") as box:
                _request(stranger, box.headers("tuimprenta"))
            return time.perf_counter() - start

        _timed(without_token, 20)
        total = _timed(without_token, args.tests)
        figures["mockserver_sandbox, no admin token"] = {
            **total,
            "overhead_median_ms": round(total["median_ms"] - alone["median_ms"], 2),
        }
    finally:
        guarded.stop()
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
