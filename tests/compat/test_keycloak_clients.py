"""Hacienda's IdP as the two most used Python Keycloak/OAuth clients see it, unchanged: python-keycloak
(`KeycloakOpenID`) and Authlib's `OAuth2Session`, against a live mock on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from mockserver.app import create_app
from mockserver.core.pipeline import VIOLATIONS
from tests.conftest import make_settings

keycloak = pytest.importorskip("keycloak")
requests_client = pytest.importorskip("authlib.integrations.requests_client")
pytestmark = pytest.mark.compat

USER = "cpj-3-101-123456@stag.comprobanteselectronicos.go.cr"


@pytest.fixture
async def idp() -> AsyncIterator[tuple[str, list[str]]]:
    app = create_app(make_settings(providers=("hacienda",), clock_start=None, clock_frozen=False))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/hacienda/auth/")), app[VIOLATIONS]
    finally:
        await server.close()


async def test_python_keycloak_runs_every_openid_method_it_has(idp: tuple[str, list[str]]) -> None:
    server_url, violations = idp

    def drive() -> dict[str, Any]:
        kc = keycloak.KeycloakOpenID(server_url=server_url, realm_name="rut-stag", client_id="api-stag")
        seen: dict[str, Any] = {"well_known": kc.well_known()}
        token = kc.token(USER, "secreto")
        seen["userinfo"] = kc.userinfo(token["access_token"])
        seen["introspect"] = kc.introspect(token["access_token"])
        seen["public_key"] = kc.public_key()
        seen["certs"] = kc.certs()
        seen["auth_url"] = kc.auth_url(redirect_uri="http://localhost/callback")
        seen["decoded"] = kc.decode_token(token["access_token"])
        refreshed = kc.refresh_token(token["refresh_token"])
        kc.logout(refreshed["refresh_token"])
        seen["after_logout"] = kc.introspect(refreshed["access_token"])
        try:
            kc.userinfo(refreshed["access_token"])
        except keycloak.exceptions.KeycloakAuthenticationError as error:
            seen["userinfo_after_logout"] = error.response_code
        return seen

    seen = await asyncio.to_thread(drive)
    assert seen["well_known"]["authorization_endpoint"].endswith("/protocol/openid-connect/auth")
    assert seen["userinfo"]["preferred_username"] == USER
    assert seen["introspect"]["active"] is True and seen["introspect"]["username"] == USER
    assert seen["public_key"] and seen["certs"]["keys"][0]["alg"] == "RS256"
    assert seen["auth_url"].startswith(seen["well_known"]["authorization_endpoint"] + "?")
    assert seen["decoded"]["preferred_username"] == USER  # verified with the realm's public key
    assert seen["after_logout"] == {"active": False}
    assert seen["userinfo_after_logout"] == 401
    assert violations == []


async def test_authlib_fetches_refreshes_introspects_and_revokes(idp: tuple[str, list[str]]) -> None:
    server_url, violations = idp
    base = f"{server_url}realms/rut-stag/protocol/openid-connect"

    def drive() -> dict[str, Any]:
        session = requests_client.OAuth2Session(client_id="api-stag", token_endpoint_auth_method="none")
        seen: dict[str, Any] = {}
        token = session.fetch_token(f"{base}/token", username=USER, password="secreto", grant_type="password")
        seen["userinfo"] = session.get(f"{base}/userinfo").json()
        session.refresh_token(f"{base}/token", refresh_token=token["refresh_token"])
        access = session.token["access_token"]
        seen["introspect"] = session.introspect_token(f"{base}/token/introspect", token=access).json()
        revoked = session.revoke_token(f"{base}/revoke", token=access, token_type_hint="access_token")
        seen["revoked"] = revoked.status_code
        seen["after"] = session.introspect_token(f"{base}/token/introspect", token=access).json()
        seen["userinfo_after"] = session.get(f"{base}/userinfo").status_code
        return seen

    seen = await asyncio.to_thread(drive)
    assert seen["userinfo"]["preferred_username"] == USER
    assert seen["introspect"]["active"] is True
    assert (seen["revoked"], seen["after"], seen["userinfo_after"]) == (200, {"active": False}, 401)
    assert violations == []
