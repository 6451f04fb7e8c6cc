"""Where an authenticated GET's time goes: the same document read three ways, beside the floor.

usage: python benchmarks/get_floor.py [--seconds 5] [--runs 3] [--json PATH]

One mock serves Bsale on the shared port and alone on its own port (`--port-per-provider`), rate
limits off, as in `suite.py`. wrk (as the suite drives it: one thread, 10 keep-alive connections)
then drives, `--runs` times each: the stored document through the shared port (sub-application
routing), the same through Bsale's own port (one flat application), and `GET /__admin/health`, which
crosses the shared port's routing and write-log middleware but no provider pipeline. Figures are
requests per second, the median of the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from live import free_port, start_mock, stop
from suite import FACTURA, KEY, Scenario, call, load


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    args.connections, args.warmup = 10, 1
    scripts = tempfile.TemporaryDirectory(prefix="get-floor-")  # wrk's Lua scripts
    args.tmp = Path(scripts.name)
    port = free_port(span=2)  # the main port and Bsale's own
    process, _ = start_mock(port, "--providers", "bsale", "--port-per-provider", "--rate-limits", "off")
    try:
        base, alone = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
        document = call(f"{base}/bsale/v1/documents.json", "POST", FACTURA, {"access_token": KEY})
        reads = {
            "document, shared port": f"{base}/bsale/v1/documents/{document['id']}.json",
            "document, Bsale's own port": f"{alone}/v1/documents/{document['id']}.json",
            "health, shared port (no provider pipeline)": f"{base}/__admin/health",
        }
        get = Scenario("get", "bsale", "GET", "", {"access_token": KEY})
        figures: dict[str, Any] = {}
        for name, url in reads.items():
            runs = [load(url, get, args) for _ in range(args.runs)]
            if any(r["errors"] or r["non2xx"] for r in runs):
                sys.exit(f"{name}: errors or non-2xx answers: {runs}")
            figures[name] = {"rps_median": statistics.median(r["rps"] for r in runs), "runs": runs}
    finally:
        stop(process)
        scripts.cleanup()
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
