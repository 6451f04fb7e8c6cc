"""A batch upload into invoices: a JSON payload, a JSON file, or the seed's CSV (one invoice per order)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from mockserver.core import formats
from mockserver.core.errors import Kind, MockError
from mockserver.providers.tuimprenta.models import (
    CSV_COLUMNS,
    MAX_BATCH_INVOICES,
    BatchRow,
    too_many_invoices,
)

MAX_CSV_COLUMNS = 100  # the seed's CSV has 11

Groups = list[tuple[dict[str, Any], list[BatchRow]]]


def from_payload(payload: list[Any]) -> Groups:
    """One invoice per element; the row number is its 1-based position."""
    return [
        (item if isinstance(item, dict) else {}, [BatchRow(n, _order_id(item))])
        for n, item in enumerate(payload, start=1)
    ]


def _order_id(item: Any) -> str | None:
    metadata = item.get("metadata") if isinstance(item, dict) else None
    value = metadata.get("order_id") if isinstance(metadata, dict) else None
    return str(value) if value is not None else None


def from_json_file(data: bytes) -> Groups:
    try:
        payload = formats.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise MockError(
            Kind.VALIDATION, "El archivo JSON no es válido", code="E1004", field="file", status=422
        ) from None
    if isinstance(payload, dict):
        payload = payload.get("payload")
    if not isinstance(payload, list):
        raise MockError(
            Kind.VALIDATION,
            "El archivo JSON debe ser un arreglo de facturas",
            code="E1004",
            field="file",
            status=422,
        )
    return from_payload(payload)


def from_csv(data: bytes) -> Groups:
    """The seed's columns; UTF-8 with or without BOM; quoted fields; rows sharing a metadata_order_id are
    the items of one invoice (header fields come from its first row). Read as a stream, and refused as
    soon as it is too wide or too long, so a hostile file costs little memory."""
    header = data[: data.find(b"\n")] if b"\n" in data else data
    if header.count(b",") >= MAX_CSV_COLUMNS:
        raise _file_error(f"El CSV tiene demasiadas columnas (admite hasta {MAX_CSV_COLUMNS})")
    try:
        return _rows(csv.DictReader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")))
    except UnicodeDecodeError:
        raise _file_error("El CSV debe estar en UTF-8") from None
    except csv.Error as error:  # a quote never closed, a field over the csv module's limit
        raise _file_error(f"El CSV no es válido: {error}") from None


def _file_error(message: str) -> MockError:
    return MockError(Kind.VALIDATION, message, code="E1004", field="file", status=422)


def _rows(reader: csv.DictReader[str]) -> Groups:
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise MockError(
            Kind.VALIDATION,
            f"Faltan columnas en el CSV: {', '.join(missing)}",
            code="E1001",
            field="file",
            status=422,
        )
    groups: dict[str, tuple[dict[str, Any], list[BatchRow]]] = {}
    ordered: Groups = []
    for n, line in enumerate(reader, start=1):
        order = (line.get("metadata_order_id") or "").strip()
        row = BatchRow(n, order or None)
        item = {
            "_row": n,
            "description": line.get("item_description", ""),
            "qty": line.get("item_qty", ""),
            "unit_price": line.get("item_unit_price", ""),
            "tax_rate": line.get("tax_rate", ""),
        }
        if order and order in groups:
            body, rows = groups[order]
            body["items"].append(item)
            rows.append(row)
            continue
        body = {
            "series": line.get("series", ""),
            "issue_date": line.get("issue_date") or None,
            "customer": {
                "name": line.get("customer_name", ""),
                "tax_id": line.get("customer_tax_id", ""),
                "email": line.get("customer_email") or None,
            },
            "items": [item],
            "currency": line.get("currency") or None,
            "metadata": {"order_id": order} if order else {},
            "_row": n,
        }
        if len(ordered) == MAX_BATCH_INVOICES:
            raise too_many_invoices()
        entry = (body, [row])
        ordered.append(entry)
        if order:
            groups[order] = entry
    return ordered


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def validate_invoice(body: dict[str, Any], rows: list[BatchRow]) -> list[dict[str, Any]]:
    """Schema-level checks of one batch invoice (fiscal ones come at issue); each error names its row."""
    first_row = rows[0].row
    errors: list[dict[str, Any]] = []

    def error(row: int, code: str, field: str, message: str) -> None:
        errors.append(
            {"row": row, "type": "validation_error", "code": code, "field": field, "message": message}
        )

    if not str(body.get("series") or "").strip():
        error(first_row, "E1001", "series", "El campo series es requerido")
    if body.get("status") not in (None, "issued", "draft"):
        error(first_row, "E1002", "status", "El campo status debe ser issued o draft")
    customer: dict[str, Any] = body["customer"] if isinstance(body.get("customer"), dict) else {}
    for key in ("name", "tax_id"):
        if not str(customer.get(key) or "").strip():
            error(first_row, "E1001", f"customer.{key}", f"El campo customer.{key} es requerido")
    items: list[Any] = body["items"] if isinstance(body.get("items"), list) else []
    if not items:
        error(first_row, "E1001", "items", "La factura debe tener al menos un ítem")
    for n, item in enumerate(items):
        row = item.pop("_row", None) or first_row if isinstance(item, dict) else first_row
        if not isinstance(item, dict):
            error(row, "E1002", f"items[{n}]", "Cada ítem debe ser un objeto")
            continue
        if not str(item.get("description") or "").strip():
            error(row, "E1001", f"items[{n}].description", "El campo description es requerido")
        qty, price = _number(item.get("qty")), _number(item.get("unit_price"))
        if qty is None or qty <= 0:
            error(row, "E1002", f"items[{n}].qty", f"qty debe ser un número positivo ({item.get('qty')!r})")
        else:
            item["qty"] = float(qty)
        if price is None or price < 0:
            error(
                row,
                "E1002",
                f"items[{n}].unit_price",
                f"unit_price debe ser un número ({item.get('unit_price')!r})",
            )
        else:
            item["unit_price"] = float(price)
        if item.get("tax_rate") in ("", None):
            item.pop("tax_rate", None)
    body.pop("_row", None)
    return errors
