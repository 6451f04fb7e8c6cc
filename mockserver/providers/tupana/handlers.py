"""Thin handlers; v1 and v2 share them (the version is the first segment of the path)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.core.plugin import json_response
from mockserver.core.services.clock import iso
from mockserver.providers.tupana import charges, endpoints
from mockserver.providers.tupana.accounts import User
from mockserver.providers.tupana.dte_xml import document_xml
from mockserver.providers.tupana.models import DTE_TYPES
from mockserver.providers.tupana.pdf import document_pdf, pdf_preview
from mockserver.providers.tupana.state import TupanaState

MAX_BATCH = {"v1": 200, "v2": 500}


def _state(call: Call) -> TupanaState:
    state: TupanaState = call.state
    return state


def _user(call: Call) -> User:
    return _state(call).user(call.tenant)


def _version(call: Call) -> str:
    return call.request.path[len(call.prefix) :].split("/")[1]


def _page(call: Call, items: list[Any], path: str) -> dict[str, Any]:
    page, size = call.query.get("page", 1), min(call.query.get("page_size", 20), 100)
    total = len(items)
    pages = max(1, -(-total // size))
    query = {k: v for k, v in call.request.query.items() if k not in ("page", "page_size")}

    def link(n: int) -> str:
        return call.url(f"/{_version(call)}/{path}?" + urlencode({**query, "page": n, "page_size": size}))

    return {
        "data": items[(page - 1) * size : page * size],
        "meta": {"page": page, "page_size": size, "total": total, "total_pages": pages},
        "links": {
            "next": link(page + 1) if page < pages else None,
            "prev": link(page - 1) if page > 1 else None,
        },
    }


async def lookup_master_entity(call: Call) -> web.StreamResponse:
    return json_response(_state(call).lookup(call.query["rut"]))


async def list_credentials(call: Call) -> web.StreamResponse:
    ment = call.query.get("master_entity_id")
    creds = [
        c.as_json() for c in _user(call).credentials.values() if ment is None or c.master_entity_id == ment
    ]
    return json_response(_page(call, creds, "credentials/"))


async def create_credential(call: Call) -> web.StreamResponse:
    body = call.body or {}
    if "master_entity_id" not in body and "rut" not in body:
        raise MockError(
            Kind.VALIDATION,
            "Send master_entity_id or rut",
            code="parameter_missing",
            field="master_entity_id",
            status=400,
        )
    return json_response(_state(call).create_credential(_user(call), body).as_json(), status=201)


async def create_batch(call: Call) -> web.StreamResponse:
    body = call.body
    version = _version(call)
    if len(body["documents"]) > MAX_BATCH[version]:
        raise MockError(
            Kind.PAYLOAD_TOO_LARGE,
            f"At most {MAX_BATCH[version]} documents per batch in {version}",
            code="batch_too_large",
            field="documents",
            status=413,
        )
    header = call.request.headers.get("X-Use-Defaults", "").lower()
    use_defaults = header in ("1", "true", "yes") or bool(body.get("use_default") or body.get("use_defaults"))
    state = _state(call)
    batch = state.create_batch(
        _user(call),
        body,
        use_defaults=use_defaults,
        idempotency_key=call.request.headers.get("Idempotency-Key"),
        base_url=call.base_url(),
        scenario=call.scenario,
    )
    reply = state.batch_json(batch, created=True)
    if batch.is_draft and batch.preview:
        for entry, doc in zip(reply["documents"], batch.documents, strict=True):
            if not doc.problems:
                entry["document"]["pdf_preview"] = pdf_preview(doc)
    return json_response(reply, status=202)


async def retrieve_batch(call: Call) -> web.StreamResponse:
    state = _state(call)
    return json_response(state.batch_json(state.poll_batch(_user(call), call.path["batch_id"])))


def _in_range(day: str, low: str | None, high: str | None) -> bool:
    try:
        return (low is None or date.fromisoformat(day) >= date.fromisoformat(low)) and (
            high is None or date.fromisoformat(day) <= date.fromisoformat(high)
        )
    except ValueError:
        raise MockError(
            Kind.VALIDATION, "Dates must be YYYY-MM-DD", code="parameter_invalid", status=400
        ) from None


async def list_documents(call: Call) -> web.StreamResponse:
    user, q = _user(call), call.query
    ment = q["master_entity_id"]
    side = q.get("document_type", "issued")
    codes = set(str(q["dte_type__code__in"]).split(",")) if q.get("dte_type__code__in") else None
    json_filters = {
        k[len("json_param__") :]: v for k, v in call.request.query.items() if k.startswith("json_param__")
    }
    state = _state(call)
    found = []
    for doc in user.documents.values():
        if (doc.sender_id if side == "issued" else doc.receiver_id) != ment or doc.problems:
            continue
        if side == "received" and not doc.issued:
            continue
        if q.get("folio") is not None and str(doc.folio) != str(q["folio"]):
            continue
        if codes and doc.dte_type not in codes:
            continue
        if q.get("issuer_tax_id") and doc.sender["rut"] != q["issuer_tax_id"]:
            continue
        if not _in_range(doc.date_issued, q.get("issue_date_gte"), q.get("issue_date_lte")):
            continue
        if (
            q.get("search")
            and q["search"].lower()
            not in (
                f"{doc.receiver.get('business_name', '')} {doc.sender.get('business_name', '')} {doc.folio}"
            ).lower()
        ):
            continue
        if any(str((doc.json_param or {}).get(k)) != v for k, v in json_filters.items()):
            continue
        found.append(doc)
    found.sort(key=lambda d: (d.date_issued, d.created_at), reverse=True)
    items = [d.detail(state.downloads) for d in found]
    if not q.get("include_trace_events"):
        for item in items:
            item.pop("traces", None)
    return json_response(_page(call, items, "documents/"))


async def retrieve_document(call: Call) -> web.StreamResponse:
    state = _state(call)
    return json_response(state.document(_user(call), call.path["document_id"]).detail(state.downloads))


async def issue_document(call: Call) -> web.StreamResponse:
    state = _state(call)
    doc = state.issue_draft(_user(call), call.path["document_id"])
    return json_response(doc.detail(state.downloads))


async def list_document_states(call: Call) -> web.StreamResponse:
    doc = _state(call).document(_user(call), call.path["document_id"])
    return json_response({"data": list(reversed(doc.history)), "meta": {"total": len(doc.history)}})


async def create_document_state(call: Call) -> web.StreamResponse:
    state = _state(call)
    user = _user(call)
    return json_response(
        state.register_state(user, state.document(user, call.path["document_id"]), call.body or {}),
        status=201,
    )


def _signed_document(call: Call, kind: str) -> Any:
    state = _state(call)
    path = f"/v2/documents/{call.path['document_id']}/{kind}/"
    found = next(
        (
            (key, user.documents[call.path["document_id"]])
            for key, user in state.users.items()
            if call.path["document_id"] in user.documents
        ),
        None,
    )
    now = state.sandbox_now(found[0]) if found else None  # the link expires on its owner's clock
    problem = state.links.problem(path, call.query.get("expires"), call.query.get("signature"), now)
    if problem:
        raise MockError(Kind.FORBIDDEN, problem, code="signature_invalid")
    if found is None:
        raise MockError(Kind.NOT_FOUND, "No such document", code="resource_missing")
    return found[1]


async def download_document_pdf(call: Call) -> web.StreamResponse:
    doc = _signed_document(call, "pdf")
    return web.Response(
        body=document_pdf(doc),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{doc.dte_type}-{doc.folio}.pdf"'},
    )


async def download_document_xml(call: Call) -> web.StreamResponse:
    doc = _signed_document(call, "xml")
    if not doc.issued:
        raise MockError(Kind.NOT_FOUND, "The document has no XML yet", code="resource_missing")
    return web.Response(body=document_xml(doc, call.state.keys), content_type="application/xml")


async def list_webhooks(call: Call) -> web.StreamResponse:
    ment = call.query.get("master_entity_id")
    hooks = [w.as_json() for w in _user(call).webhooks.values() if ment is None or w.master_entity_id == ment]
    return json_response(_page(call, hooks, "webhooks/"))


async def create_webhook(call: Call) -> web.StreamResponse:
    return json_response(endpoints.create(_state(call), _user(call), call.body).as_json(), status=201)


async def retrieve_webhook(call: Call) -> web.StreamResponse:
    return json_response(_state(call).webhook(_user(call), call.path["webhook_id"]).as_json())


async def update_webhook(call: Call) -> web.StreamResponse:
    state = _state(call)
    hook = state.webhook(_user(call), call.path["webhook_id"])
    return json_response(endpoints.update(state, hook, call.body or {}).as_json())


async def delete_webhook(call: Call) -> web.StreamResponse:
    user = _user(call)
    _state(call).webhook(user, call.path["webhook_id"])
    del user.webhooks[call.path["webhook_id"]]
    return web.Response(status=204)


async def test_webhook(call: Call) -> web.StreamResponse:
    state, user = _state(call), _user(call)
    hook = state.webhook(user, call.path["webhook_id"])
    state.emit(
        user, hook.master_entity_id, "webhook.test", {"webhook_id": hook.id, "message": "Webhook de prueba"}
    )
    return json_response({"sent": True, "webhook_id": hook.id, "event": "webhook.test"}, status=202)


async def list_connections(call: Call) -> web.StreamResponse:
    user = _user(call)
    state = _state(call)
    search = (call.query.get("search") or "").lower()
    limit = call.query.get("limit", 50)
    rows = []
    for ment, company in user.companies.items():
        if search and search not in f"{company['name']} {company['tax_id']}".lower():
            continue
        credential = state.active_credential(user, ment)
        main = next(a for a in company["addresses"] if a["is_main"])
        activity = company["activities"][0] if company["activities"] else {"name": "", "code": None}
        rows.append(
            {
                "connection_id": ment,
                "company_id": ment,
                "provider": "sii",
                "type": "tax_authority",
                "name": company["name"],
                "tax_id": company["tax_id"],
                "environment": "sandbox",
                "status": "active" if credential else "requires_action",
                "last_verified_at": iso(credential.created_at) if credential else None,
                "business_activity": activity["name"],
                "activity_code": activity["code"],
                "address": main["address"],
                "district": main["district"],
                "city": main["city"],
            }
        )
    return json_response({"data": rows[:limit], "total": len(rows), "limit": limit})


async def deactivate_connection(call: Call) -> web.StreamResponse:
    user = _user(call)
    connection = call.path["connection_id"]
    if connection not in user.companies:
        raise MockError(Kind.NOT_FOUND, f"No connection {connection}", code="resource_missing")
    for credential in user.credentials.values():
        if credential.master_entity_id == connection:
            credential.status = "invalid"
    return json_response({"connection_id": connection, "status": "inactive"})


__all__ = ["DTE_TYPES"]


# --- payment requests and cessions (charges.py) ----------------------------------------------------


async def create_payment_request(call: Call) -> web.StreamResponse:
    request, new = charges.create_payment_request(_state(call), _user(call), call.body or {}, call.base_url())
    return json_response(request.as_json(), status=201 if new else 200)


async def list_payment_requests(call: Call) -> web.StreamResponse:
    status = call.query.get("status")
    found = [
        r.as_json() for r in _user(call).payment_requests.values() if status is None or r.status == status
    ]
    return json_response(_page(call, found, "payment-requests/"))


async def retrieve_payment_request(call: Call) -> web.StreamResponse:
    return json_response(charges.payment_request(_user(call), call.path["payment_request_id"]).as_json())


async def update_payment_request(call: Call) -> web.StreamResponse:
    request = charges.payment_request(_user(call), call.path["payment_request_id"])
    return json_response(charges.issue(_state(call), _user(call), request).as_json())


async def create_cession_batch(call: Call) -> web.StreamResponse:
    batch = charges.create_cession_batch(_state(call), _user(call), call.body or {})
    return json_response(
        {
            "success": True,
            "status": batch.status,
            "total": len(batch.cessions),
            "message": "Cesiones recibidas; el SII las procesa",
            "ws_channel": f"cessions.{batch.id}",
            "cession_batch_id": batch.id,
        },
        status=202,
    )


async def retrieve_cession_batch(call: Call) -> web.StreamResponse:
    return json_response(charges.cession_batch(_user(call), call.path["cession_batch_id"]).as_json())


async def list_cessions(call: Call) -> web.StreamResponse:
    return json_response(_page(call, charges.listed_cessions(_user(call), call.query), "cessions/"))


async def retrieve_cession(call: Call) -> web.StreamResponse:
    return json_response(charges.cession(_user(call), call.path["cession_id"]).as_json())
