"""Thin handlers: request in, state call, response out."""

from __future__ import annotations

from aiohttp import web

from mockserver.core.pipeline import Call
from mockserver.core.plugin import json_response
from mockserver.providers.hacienda.idp import issuer
from mockserver.providers.hacienda.state import HaciendaState


def _state(call: Call) -> HaciendaState:
    state: HaciendaState = call.state
    return state


async def create_token(call: Call) -> web.StreamResponse:
    tokens = _state(call).idp.token(call.path["realm"], call.body or {}, call.replaying)
    return json_response(tokens, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def logout(call: Call) -> web.StreamResponse:
    _state(call).idp.logout(call.path["realm"], call.body or {})
    return web.Response(status=204)


async def get_certs(call: Call) -> web.StreamResponse:
    _state(call).idp.check_realm(call.path["realm"])
    return json_response({"keys": [call.provider.runtime.keys.jwk()]})


async def get_openid_configuration(call: Call) -> web.StreamResponse:
    realm = call.path["realm"]
    _state(call).idp.check_realm(realm)
    base = call.url(f"/auth/realms/{realm}/protocol/openid-connect")
    return json_response(
        {
            "issuer": issuer(realm),
            "token_endpoint": f"{base}/token",
            "end_session_endpoint": f"{base}/logout",
            "jwks_uri": f"{base}/certs",
            "grant_types_supported": ["password", "refresh_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }
    )


def _api_base(call: Call) -> str:
    """The recepción prefix the client used (`/recepcion/v1` or `/recepcion-sandbox/v1`)."""
    path = call.request.path.rstrip("/")
    prefix = call.prefix
    return path[len(prefix) :].rsplit("/recepcion", 1)[0]


async def post_recepcion(call: Call) -> web.StreamResponse:
    doc = _state(call).receive(call.tenant, call.body, call.scenario)
    location = call.url(f"{_api_base(call)}/recepcion/{doc.key}/")
    return web.Response(status=call.provider.options["accept_status"], headers={"Location": location})


async def get_recepcion(call: Call) -> web.StreamResponse:
    return json_response(_state(call).poll(call.tenant, call.path["clave"]).status_body())


MAX_PAGE = 50


async def get_comprobantes(call: Call) -> web.StreamResponse:
    offset = call.query.get("offset", 0)
    limit = min(call.query.get("limit", MAX_PAGE), MAX_PAGE)
    items, total = _state(call).listing(
        call.tenant,
        emisor=call.query.get("emisor"),
        receptor=call.query.get("receptor"),
        offset=offset,
        limit=limit,
    )
    headers = {"Accept-Range": f"resource {MAX_PAGE}"}
    if len(items) == total:
        return json_response(items, headers=headers)
    last = offset + len(items) - 1 if items else offset
    headers["Content-Range"] = f"{offset}-{last}/{total}"
    return json_response(items, status=206, headers=headers)


async def get_comprobante(call: Call) -> web.StreamResponse:
    return json_response(_state(call).comprobante(call.tenant, call.path["clave"]))
