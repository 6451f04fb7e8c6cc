"""Server-side time per request, in one process: how long the mock's own middleware chain takes for an
authenticated GET of a stored Bsale document and for a tuimprenta invoice creation, without the client's
or the socket's share. Steadier than a load test on a shared machine, so two trees can be compared.

usage: python benchmarks/server_side.py [--root DIR] [--runs 3] [--json PATH]

`--root`: measure another checkout's mock (a worktree of an earlier commit) with this same harness. The
outermost middleware is wrapped with a timer (`pipeline.entry`, or the older `persistence.record`); the
figure is the best of `--runs` runs, in microseconds per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=HERE.parent)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root))
    figures = asyncio.run(measure(args.runs))
    figures["root"] = str(args.root)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


async def measure(runs: int) -> dict[str, Any]:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    import mockserver.app as app_module
    from mockserver.settings import Settings

    sys.path.insert(0, str(HERE))
    from suite import FACTURA, INVOICE, KEY

    spent = [0, 0]

    def timed(inner: Any) -> Any:
        @web.middleware
        async def wrapper(request: web.Request, handler: Any) -> web.StreamResponse:
            began = time.perf_counter_ns()
            response: web.StreamResponse = await inner(request, handler)
            spent[0] += time.perf_counter_ns() - began
            spent[1] += 1
            return response

        return wrapper

    if hasattr(app_module, "entry"):
        app_module.entry = timed(app_module.entry)  # type: ignore[attr-defined]
    else:  # before the pipeline was one middleware, the write log's was the outermost
        from mockserver.core import persistence  # type: ignore[attr-defined]

        persistence.record = timed(persistence.record)
    app = app_module.create_app(Settings(rate_limits={"*": None}, log_level="warning", seed=1))
    logging.getLogger().setLevel(logging.WARNING)
    out: dict[str, Any] = {"unit": "µs per request, server side, best of runs"}
    async with TestClient(TestServer(app)) as client:
        made = await client.post("/bsale/v1/documents.json", json=FACTURA, headers={"access_token": KEY})
        url = f"/bsale/v1/documents/{(await made.json())['id']}.json"
        invoice = json.dumps(INVOICE)
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        for name, count in (("get", 4000), ("create", 2000)):
            best = float("inf")
            for run in range(runs):
                spent[0] = spent[1] = 0
                for n in range(count):
                    if name == "get":
                        response = await client.get(url, headers={"access_token": KEY})
                    else:
                        key = {"Idempotency-Key": f"{run}-{n}"}
                        response = await client.post(
                            "/tuimprenta/v1/invoices", data=invoice, headers={**headers, **key}
                        )
                    await response.read()
                best = min(best, spent[0] / spent[1] / 1000)
            out[name] = round(best, 1)
    return out


if __name__ == "__main__":
    main()
