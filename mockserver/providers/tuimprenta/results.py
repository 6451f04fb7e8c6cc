"""A batch's result, row by row: as JSON and as the CSV the seed describes."""

from __future__ import annotations

import csv
import io
from typing import Any

from mockserver.core.errors import Kind, MockError
from mockserver.providers.tuimprenta.models import Batch


def result_rows(batch: Batch) -> list[dict[str, Any]]:
    if batch.status in ("queued", "processing"):
        raise MockError(Kind.CONFLICT, "El lote aún se está procesando", code="E3003", field="id")
    return [
        {
            "row": r.row,
            "order_id": r.order_id,
            "invoice_id": r.invoice_id,
            "status": r.status,
            "errors": r.errors,
        }
        for r in batch.rows
    ]


# a cell a spreadsheet would run as a formula: echoed client text is quoted with a leading apostrophe
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def result_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["row", "metadata_order_id", "invoice_id", "status", "error_code", "error_field", "error_message"]
    )
    for r in rows:
        first = r["errors"][0] if r["errors"] else {}
        cells = [
            r["row"],
            r["order_id"] or "",
            r["invoice_id"] or "",
            r["status"],
            first.get("code", ""),
            first.get("field", ""),
            first.get("message", ""),
        ]
        writer.writerow([_cell(c) for c in cells])
    return out.getvalue()
