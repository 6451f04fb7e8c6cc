"""Thin handlers: request in, state call, response out."""

from __future__ import annotations

from aiohttp import web

from mockserver.core.errors import Kind, MockError
from mockserver.core.pipeline import Call
from mockserver.core.plugin import json_response
from mockserver.providers.hacienda import taxpayers
from mockserver.providers.hacienda.idp import issuer
from mockserver.providers.hacienda.state import HaciendaState


def _state(call: Call) -> HaciendaState:
    state: HaciendaState = call.state
    return state


async def create_token(call: Call) -> web.StreamResponse:
    idp = _state(call).idp
    tokens = await idp.jwts.sign_answer(idp.token(call.path["realm"], call.body or {}, call.replaying))
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
            "authorization_endpoint": f"{base}/auth",  # listed, as Discovery requires; not served
            "token_endpoint": f"{base}/token",
            "introspection_endpoint": f"{base}/token/introspect",
            "userinfo_endpoint": f"{base}/userinfo",
            "end_session_endpoint": f"{base}/logout",
            "revocation_endpoint": f"{base}/revoke",
            "jwks_uri": f"{base}/certs",
            "grant_types_supported": ["password", "refresh_token"],
            "response_types_supported": ["code", "none", "id_token", "token", "id_token token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "preferred_username", "email_verified"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }
    )


async def lookup_taxpayer(call: Call) -> web.StreamResponse:
    number = call.query["identificacion"].strip()
    if taxpayers.kind_of(number) is None:
        raise MockError(Kind.VALIDATION, "La identificación debe tener 9, 10, 11 o 12 dígitos", status=400)
    found = taxpayers.lookup(number)
    if found is None:
        raise MockError(Kind.NOT_FOUND, f"No se encontró el contribuyente {number}")
    return json_response(found)


async def get_realm(call: Call) -> web.StreamResponse:
    realm = call.path["realm"]
    _state(call).idp.check_realm(realm)
    root = call.url(f"/auth/realms/{realm}")
    return json_response(
        {
            "realm": realm,
            "public_key": call.provider.runtime.keys.public_der_b64(),
            "token-service": f"{root}/protocol/openid-connect",
            "account-service": f"{root}/account",
            "tokens-not-before": 0,
        }
    )


async def get_userinfo(call: Call) -> web.StreamResponse:
    form = call.body if isinstance(call.body, dict) else {}
    claims = _state(call).idp.userinfo(
        call.path["realm"], call.request.headers.get("Authorization"), form.get("access_token")
    )
    return json_response(claims)


async def introspect_token(call: Call) -> web.StreamResponse:
    return json_response(_state(call).idp.introspect(call.path["realm"], call.body or {}))


async def revoke_token(call: Call) -> web.StreamResponse:
    _state(call).idp.revoke(call.path["realm"], call.body or {})
    return web.Response(status=200)


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
    if call.provider.options["content_range"] == "limit":  # the seed: "offset-limit/count_all"
        end = limit
    else:  # the last item's position, as HTTP's own byte ranges count
        end = offset + len(items) - 1 if items else offset
    headers["Content-Range"] = f"{offset}-{end}/{total}"
    return json_response(items, status=206, headers=headers)


async def get_comprobante(call: Call) -> web.StreamResponse:
    return json_response(_state(call).comprobante(call.tenant, call.path["clave"]))
