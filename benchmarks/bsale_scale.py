"""Bsale at scale: one instance with N documents, then filtered, expanded pages timed over loopback.

usage: python benchmarks/bsale_scale.py [--quick] [--documents 100000] [--repeats 200] [--held] [--json PATH]

Documents are created through the mock's own creation path (state.create, the code POST runs), a mix
of 40 % electronic boletas/facturas and 60 % notas de venta, with 1 to 3 lines, three clients, three
offices and a year of emission dates; one document in 50 is a factura given back in part (a return and
its credit note, through the code returns.json runs) and one in 50 a guía de despacho (a shipping,
through the code shippings.json runs). Every 1,000 documents the due SII declarations are run, as the
server's scheduler does between requests (`--held` keeps them all pending until the end instead, as
if the scheduler never ran). Each query is then requested sequentially over HTTP on 127.0.0.1
against the same process, and its latency recorded (median and p95).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mockserver.app import create_app
from mockserver.core.runtime import RUNTIME
from mockserver.providers.bsale import returns, shippings
from mockserver.settings import Settings

TOKEN = "benchmark-instance"
DAY = 86400
YEAR_START = 1735689600  # 2025-01-01


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def populate(app: Any, count: int, held: bool = False) -> float:
    bsale = app[RUNTIME].providers["bsale"]
    state = bsale.state
    instance = state.instance(bsale.tenant_name(TOKEN))  # the sandbox `access_token: TOKEN` opens
    for type_id in (1, 5, 7, 8):  # boletas, credit notes, guías, facturas
        instance.catalogue.document_types[type_id]["caf"]["endNumber"] = count + 10
    for variant in instance.catalogue.variants.values():  # guías take stock: never run out
        variant["stock"] = {"1": 10.0**12, "2": 10.0**12, "3": 10.0**12}
    started = time.perf_counter()
    for i in range(count):
        if i % 1000 == 999 and not held:  # as the server's scheduler does between requests
            bsale.runtime.scheduler.run_due()
        if i % 50 == 25:  # a guía de despacho
            guide = {"shippingTypeId": 1 + i % 9, "clientId": (7, 24, 65)[i % 3], "address": "Bodega 3"}
            lines = [{"variantId": (1, 157, 6884)[i % 3], "quantity": 1 + i % 3, "taxId": "[1]"}]
            shippings.create_shipping(state, instance, {**guide, "details": lines}, None)
            continue
        if i % 50 == 49:  # the last factura given back, one unit of its first line
            sold = instance.documents[next(reversed(instance.indexes["document_type_id"].ids(8)))]
            given_back = {
                "documentTypeId": 5,
                "referenceDocumentId": sold.id,
                "clientId": sold.client_id,
                "details": [{"documentDetailId": sold.details[0].id, "quantity": 1}],
            }
            returns.create_return(state, instance, given_back, None)
            continue
        kind = i % 10
        body: dict[str, Any] = {
            "emissionDate": YEAR_START + (i % 365) * DAY,
            "officeId": 1 + i % 3,
            "details": [
                {"variantId": (1, 157, 6884)[j % 3], "quantity": 1 + j, "taxId": "[1]"}
                for j in range(1 + i % 3)
            ],
        }
        if kind < 2:
            body.update(documentTypeId=8, clientId=(7, 24, 65)[i % 3])
        elif kind < 4:
            body.update(codeSii=39)
        else:
            body.update(documentTypeId=2, clientId=(7, 24, 65)[i % 3])
        state.create(instance, body)
    return time.perf_counter() - started


QUERIES = {
    "facturas, expanded details+client": "documents.json?documenttypeid=8&expand=[details,client]&limit=50",
    "codesii + date range, 3 expands, offset": (
        "documents.json?codesii=[33,39]&emissiondaterange=[1740787200,1748736000]"
        "&expand=[details,client,document_type]&limit=50&offset=100"
    ),
    "client + state, expanded details+payments": (
        "documents.json?clientid=24&state=0&expand=[details,payments]&limit=25"
    ),
    "one folio": "documents.json?number=1234&documenttypeid=2",
    "credit notes, expanded references": "documents.json?documenttypeid=5&expand=[references]&limit=50",
    "returns at one office, expanded credit notes": "returns.json?officeid=2&expand=[credit_note]&limit=50",
    "guías of one shipping type": "shippings.json?shippingtypeid=3&limit=50",
    "count of active documents (full scan)": "documents/count.json?state=0",
}


async def measure(count: int, repeats: int, held: bool) -> dict[str, Any]:
    app = create_app(Settings(providers=("bsale",), rate_limits={"*": None}, log_level="warning"))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        seconds = populate(app, count, held)
        max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # the documents as they stand once the SII has answered (after --bsale-sii-delay): stored state only
        runtime = app[RUNTIME]
        runtime.clock.advance(60)
        runtime.scheduler.run_due()
        gc.collect()
        rss_mb = current_rss_mb()
        results: dict[str, Any] = {}
        async with aiohttp.ClientSession(headers={"access_token": TOKEN}) as session:
            for name, path in QUERIES.items():
                url = str(server.make_url(f"/bsale/v1/{path}"))
                timings = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    async with session.get(url) as response:
                        body = await response.read()
                        assert response.status == 200, body[:200]
                    timings.append((time.perf_counter() - t0) * 1000)
                timings.sort()
                data = json.loads(body)
                results[name] = {
                    "path": path,
                    "median_ms": round(statistics.median(timings), 2),
                    "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
                    "matching": data.get("count"),
                    "bytes": len(body),
                }
        return {
            "documents": count,
            "declarations_held": held,
            "populate_s": round(seconds, 1),
            "populate_us_per_document": round(seconds / count * 1e6),
            "rss_mb": round(rss_mb, 1),
            "max_rss_mb": round(max_rss_mb, 1),
            "repeats": repeats,
            "queries": results,
        }
    finally:
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 documents, 20 repeats (a smoke run)")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--held", action="store_true", help="run no SII declaration until all are made")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    count, repeats = (5_000, 20) if args.quick else (args.documents, args.repeats)
    figures = asyncio.run(measure(count, repeats, args.held))
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
