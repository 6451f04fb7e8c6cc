"""tuimprenta: a 10,000-row CSV batch end to end against a live server (upload, processing, result download).

usage: python benchmarks/tuimprenta_batch.py [--quick] [--rows 10000] [--json PATH]

The server runs as its own process on 127.0.0.1 with the batch delay set to 0, so the figure is the
mock's own work: parsing the CSV, grouping rows two per invoice, validating, issuing, and writing the
per-row result. Polling is every 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
from live import free_port, start_mock, stop

HEADER = (
    "series,issue_date,customer_name,customer_tax_id,customer_email,item_description,item_qty,"
    "item_unit_price,tax_rate,currency,metadata_order_id"
)


def make_csv(rows: int) -> bytes:
    lines = [HEADER] + [
        f'TD-2025,2025-11-07,"Cliente {n}, C.A.",J-12345678-4,c{n}@example.com,Item {n},{1 + n % 3},'
        f"{n % 97 + 1}.50,{('0.16', '0.08', '0')[n % 3]},USD,ORD-{n // 2}"
        for n in range(rows)
    ]
    return ("\ufeff" + "\n".join(lines)).encode()


async def run(rows: int) -> dict[str, Any]:
    port = free_port()
    process, _ = start_mock(
        port,
        *("--providers", "tuimprenta", "--rate-limits", "off"),
        *("--tuimprenta-processing-delay", "0", "--tuimprenta-seconds-per-invoice", "0"),
    )
    base = f"http://127.0.0.1:{port}/tuimprenta/v1"
    data = make_csv(rows)
    try:
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer bench-key"}) as session:
            form = aiohttp.FormData()
            form.add_field("type", "invoice.create")
            form.add_field("file", data, filename="lote.csv", content_type="text/csv")
            t0 = time.perf_counter()
            async with session.post(f"{base}/batches", data=form) as response:
                batch = await response.json()
                assert response.status == 202, batch
            t_accepted = time.perf_counter()
            while True:
                async with session.get(f"{base}/batches/{batch['id']}") as response:
                    state = await response.json()
                if state["status"] in ("completed", "failed", "partial"):
                    break
                await asyncio.sleep(0.02)
            t_done = time.perf_counter()
            async with session.get(f"{base}/batches/{batch['id']}/result.csv") as response:
                result = await response.text()
            t_result = time.perf_counter()
        table = list(csv.DictReader(io.StringIO(result)))
        assert len(table) == rows and all(r["status"] == "issued" for r in table), "rows were lost or failed"
        return {
            "rows": rows,
            "invoices": state["counts"]["queued"],
            "csv_bytes": len(data),
            "status": state["status"],
            "accepted_s": round(t_accepted - t0, 3),
            "processed_s": round(t_done - t_accepted, 3),
            "result_download_s": round(t_result - t_done, 3),
            "end_to_end_s": round(t_result - t0, 3),
        }
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 rows (a smoke run)")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    figures = asyncio.run(run(1_000 if args.quick else args.rows))
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
