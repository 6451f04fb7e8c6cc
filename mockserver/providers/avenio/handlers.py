"""Thin handlers: request in, state call, envelope out."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from mockserver.core.pipeline import Call
from mockserver.providers.avenio import documents
from mockserver.providers.avenio.errors import envelope
from mockserver.providers.avenio.models import Boleta
from mockserver.providers.avenio.oauth import insufficient_scope
from mockserver.providers.avenio.state import AvenioState


def _state(call: Call) -> AvenioState:
    state: AvenioState = call.state
    return state


def _reply(call: Call, data: Any, status: int = 200) -> web.Response:
    body = json.dumps(envelope(call, data), ensure_ascii=False, separators=(",", ":")).encode()
    return web.Response(status=status, body=body, content_type="application/json")


async def create_token(call: Call) -> web.StreamResponse:
    authority = _state(call).authority
    token = authority.token(call.body or {}, call.request.headers.get("Authorization"), replay=call.replaying)
    response = _reply(call, await authority.jwts.sign_answer(token))
    response.headers["Cache-Control"] = "no-store"
    return response


async def get_jwks(call: Call) -> web.StreamResponse:
    return web.json_response({"keys": [call.provider.runtime.keys.jwk()]})


def _accepted(call: Call, operation_id: str, callback: bool) -> web.Response:
    return _reply(
        call,
        {
            "operationId": operation_id,
            "status": "pending",
            "statusUrl": call.url(f"/api/v1/bhe/operaciones/{operation_id}"),
            "callbackRegistered": callback,
        },
        status=202,
    )


async def emitir_boleta(call: Call) -> web.StreamResponse:
    op = _state(call).emit(call.tenant, call.body, call.base_url(), call.correlation_id, call.scenario)
    return _accepted(call, op.id, bool(op.callback_url))


async def anular_boleta(call: Call) -> web.StreamResponse:
    op = _state(call).annul(call.tenant, call.body, call.base_url(), call.correlation_id)
    return _accepted(call, op.id, bool(op.callback_url))


# the scope that starts each kind of operation also reads its status (the quickstart polls with it)
STARTED_BY = {"emision": "boletas.emit", "anulacion": "boletas.cancel"}


async def get_operacion(call: Call) -> web.StreamResponse:
    state = _state(call)
    op = state.operation(call.tenant, call.path["operationId"])
    granted = call.principal.scopes if call.principal else frozenset()
    if "boletas.read" not in granted and STARTED_BY[op.tipo] not in granted:
        raise insufficient_scope(["boletas.read"], ["boletas.read", STARTED_BY[op.tipo]], granted)
    return _reply(call, state.as_json(state.poll(call.tenant, op.id)))


def _document(call: Call, extension: str) -> Boleta:
    document_id = call.path["documentId"]
    path = f"/api/v1/bhe/documentos/{document_id}.{extension}"
    return _state(call).document(document_id, path, call.query.get("expires"), call.query.get("signature"))


async def download_boleta_pdf(call: Call) -> web.StreamResponse:
    boleta = _document(call, "pdf")
    return web.Response(
        body=documents.pdf(boleta),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="BHE-{boleta.folio}.pdf"'},
    )


async def download_boleta_xml(call: Call) -> web.StreamResponse:
    return web.Response(body=documents.xml(_document(call, "xml")), content_type="application/xml")
