"""Thin handlers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aiohttp import web

from mockserver.core import formats
from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.core.plugin import json_response
from mockserver.core.services.multipart import Upload
from mockserver.providers.tuimprenta import artifacts, batches, results
from mockserver.providers.tuimprenta.models import Account, Invoice, Problem, drafted
from mockserver.providers.tuimprenta.state import TuimprentaState


def _state(call: Call) -> TuimprentaState:
    state: TuimprentaState = call.state
    return state


def _account(call: Call) -> Account:
    return _state(call).account(call.tenant)


async def ping(call: Call) -> web.StreamResponse:
    return json_response(
        {
            "ok": True,
            "time": datetime.fromtimestamp(call.provider.runtime.clock.now()).isoformat().split(".")[0] + "Z",
            "environment": "sandbox",
        }
    )


async def create_invoice(call: Call) -> web.StreamResponse:
    try:
        invoice = _state(call).issue(_account(call), call.body)
    except Problem as problem:
        raise problem.to_mock_error() from None
    return json_response(invoice.as_json(call.base_url()), status=201)


def _invoice(call: Call) -> Invoice:
    return _state(call).invoice(_account(call), call.path["id"])


async def get_invoice(call: Call) -> web.StreamResponse:
    return json_response(_invoice(call).as_json(call.base_url()))


async def cancel_invoice(call: Call) -> web.StreamResponse:
    body = call.body or {}
    if call.request.content_type == "application/x-www-form-urlencoded" and call.raw_body.lstrip().startswith(
        b"{"
    ):
        # the seed's own curl (`-d '{"reason":"mistake"}'`) sends its JSON form-encoded
        try:
            body = formats.loads(call.raw_body)
        except ValueError:
            body = {}
    reason = str(body.get("reason") or "").strip() if isinstance(body, dict) else ""
    if not reason:
        raise MockError(
            Kind.VALIDATION, "El campo reason es requerido", code="E1001", field="reason", status=422
        )
    invoice = _state(call).cancel(_account(call), _invoice(call), reason)
    return json_response(invoice.as_json(call.base_url()))


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise MockError(
            Kind.VALIDATION, f"{name} debe ser una fecha YYYY-MM-DD", code="E1002", field=name, status=422
        ) from None


async def list_invoices(call: Call) -> web.StreamResponse:
    q = call.query
    created_from, created_to = (
        _day(q.get("created_from"), "created_from"),
        _day(q.get("created_to"), "created_to"),
    )

    def keep(invoice: Invoice) -> bool:
        created = datetime.fromtimestamp(invoice.created_at).date()
        return (
            (q.get("status") is None or invoice.status == q["status"])
            and (q.get("series") is None or invoice.series == q["series"])
            and (created_from is None or created >= created_from)
            and (created_to is None or created <= created_to)
        )

    items, next_cursor, prev_cursor = _state(call).page(
        _account(call),
        limit=q.get("limit", 20),
        starting_after=q.get("starting_after"),
        ending_before=q.get("ending_before"),
        keep=keep,
    )
    base = call.base_url()
    return json_response(
        {"data": [i.as_json(base) for i in items], "next_cursor": next_cursor, "prev_cursor": prev_cursor}
    )


async def issue_invoice(call: Call) -> web.StreamResponse:
    invoice = _state(call).issue_draft(_account(call), _invoice(call))
    return json_response(invoice.as_json(call.base_url()))


def _issued(call: Call) -> Invoice:
    invoice = _invoice(call)
    if invoice.status == "draft":
        raise drafted(invoice, "no tiene PDF ni XML hasta que se emita")
    return invoice


async def get_invoice_pdf(call: Call) -> web.StreamResponse:
    invoice = _issued(call)
    return web.Response(
        body=artifacts.pdf(invoice),
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{invoice.series}-{invoice.number}.pdf"'},
    )


async def get_invoice_xml(call: Call) -> web.StreamResponse:
    return web.Response(body=artifacts.xml(_issued(call)), content_type="application/xml")


async def create_batch(call: Call) -> web.StreamResponse:
    # "application/json (array de facturas)": a bare array is the payload of an invoice.create batch
    body: dict[str, Any] = {"payload": call.body} if isinstance(call.body, list) else call.body or {}
    if call.request.content_type == "multipart/form-data":
        upload = body.get("file")
        if not isinstance(upload, Upload):
            raise MockError(
                Kind.VALIDATION, "Adjunte el archivo en el campo file", code="E1001", field="file", status=422
            )
        is_json = upload.filename.lower().endswith(".json") or upload.content_type == "application/json"
        groups = batches.from_json_file(upload.data) if is_json else batches.from_csv(upload.data)
        source = "json" if is_json else "csv"
    else:
        groups, source = batches.from_payload(body.get("payload") or []), "json"
    batch = _state(call).create_batch(
        _account(call),
        str(body.get("type") or "invoice.create"),
        groups,
        body.get("callback_url") or None,
        source,
    )
    return json_response(batch.as_json(call.base_url()), status=202)


async def get_batch(call: Call) -> web.StreamResponse:
    state = _state(call)
    return json_response(state.poll_batch(_account(call), call.path["id"]).as_json(call.base_url()))


async def get_batch_result_csv(call: Call) -> web.StreamResponse:
    state = _state(call)
    rows = results.result_rows(state.batch(_account(call), call.path["id"]))
    return web.Response(
        text=results.result_csv(rows),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{call.path["id"]}-result.csv"'},
    )


async def get_batch_result_json(call: Call) -> web.StreamResponse:
    state = _state(call)
    batch = state.batch(_account(call), call.path["id"])
    return json_response({"batch_id": batch.id, "status": batch.status, "rows": results.result_rows(batch)})
